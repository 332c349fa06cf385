/* wake: a self-pipe that one thread signals and another poll()s. Signalling never blocks (the
 * pipe is non-blocking; a full pipe already means "wake up"). Safe from signal handlers. */
#ifndef KCHAT_WAKE_H
#define KCHAT_WAKE_H

typedef struct wake {
    int rfd, wfd;
} wake;

int wake_init(wake *w);
void wake_signal(const wake *w);
void wake_drain(const wake *w);
void wake_close(wake *w);

#endif
