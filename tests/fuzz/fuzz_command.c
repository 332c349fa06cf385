/* fuzz_command: libFuzzer target for the input-line parser (ui/command.c). Any bytes, as a
 * NUL-terminated line, must parse without crashing, and every pointer the parse returns must
 * stay inside the line. */
#include "ui/command.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = malloc(size + 1);
    if (!line)
        return 0;
    memcpy(line, data, size);
    line[size] = '\0';
    size_t len = strlen(line);
    command c;
    command_parse(line, &c);
    if (c.kind == UI_CMD_MESSAGE && (c.text < line || c.text > line + len || !*c.text))
        abort();
    if (c.arg < line || c.arg + c.arg_len > line + len)
        abort();
    if (memchr(c.name, '\0', sizeof c.name) == NULL ||
        memchr(c.error, '\0', sizeof c.error) == NULL)
        abort();
    if ((c.kind == UI_CMD_UNKNOWN || c.kind == UI_CMD_BAD_ARG) && c.error[0] == '\0')
        abort();
    if (c.kind == UI_CMD_CHANNEL && (c.value < -1 || c.value > 1))
        abort();
    free(line);
    return 0;
}
