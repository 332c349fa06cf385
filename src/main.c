/* main: kchat's entry point; dispatches to one file per subcommand. */
#include <stdio.h>

int main(void)
{
    puts("kchat: under construction");
    return 0;
}
