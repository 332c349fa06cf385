/* admin: topics. Creates single-partition topics through the admin API; "already exists" is
 * success. Replication factor is the broker's default. */
#ifndef KCHAT_NET_ADMIN_H
#define KCHAT_NET_ADMIN_H

#include "net/net_config.h"

#include <stdbool.h>

/* Threads: each call makes its own short-lived client and destroys it before returning. The log
 * callback of cfg runs on the calling thread, inside the call, never after it; on_error is not
 * called (failures come back as the call's error). */

int net_topic_create(const net_config *cfg, const char *topic, int timeout_ms, char *err,
                     size_t errlen);
int net_topic_delete(const net_config *cfg, const char *topic, int timeout_ms, char *err,
                     size_t errlen);
/* 1: exists, 0: does not, -1: error (err filled). */
int net_topic_exists(const net_config *cfg, const char *topic, int timeout_ms, char *err,
                     size_t errlen);
/* Valid Kafka topic name: 1..249 of [A-Za-z0-9._-], not "." or "..". */
bool net_topic_name_valid(const char *topic);

#endif
