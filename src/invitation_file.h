/* invitation_file: reads an invitation from a file (`--invitation-file`), so it never sits on
 * the command line. The file must be private (a file its group or others may read is refused:
 * the invitation holds a secret); its first line is read with read(2) into sodium_malloc'ed
 * memory, wiped afterwards: no stdio buffer keeps a copy. */
#ifndef KCHAT_INVITATION_FILE_H
#define KCHAT_INVITATION_FILE_H

#include "crypto/invitation.h"

#include <stddef.h>

/* The parsed invitation, or NULL with err filled (one line naming the file). */
invitation *invitation_read_file(const char *path, char *err, size_t errlen);

#endif
