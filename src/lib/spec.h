#pragma once
/* The default config.json `spec` writes: the same shape runc writes, so a
 * bundle made for one works with the other. */

/* Returns the JSON text (caller frees). args is the process.args vector
 * (NULL: ["sh"]); terminal sets process.terminal. */
char *berth_spec_default(char **args, int terminal);
