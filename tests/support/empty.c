/* empty: keeps every module library non-empty while a module is being written. */
typedef int kchat_empty_translation_unit;
