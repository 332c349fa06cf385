/* test_broker: where integration tests find the real local broker.
 * $KCHAT_TEST_BROKERS wins; else the first line of the file named by $KCHAT_TEST_BROKERS_FILE
 * (written by scripts/kafka-local start). Returns NULL when neither is available. */
#ifndef KCHAT_TEST_BROKER_H
#define KCHAT_TEST_BROKER_H

const char *test_brokers(void);

/* A topic name unique to this process and call, with the given prefix. Caller frees. */
char *test_unique_name(const char *prefix);

#endif
