# Fails when any C file of the project differs from what clang-format would make of it.
file(GLOB_RECURSE files
  ${ROOT}/sys/*.[ch] ${ROOT}/src/*.[ch] ${ROOT}/ui/*.[ch] ${ROOT}/net/*.[ch] ${ROOT}/crypto/*.[ch]
  ${ROOT}/tests/*.[ch] ${ROOT}/bench/*.[ch])
execute_process(COMMAND ${CLANG_FORMAT} --dry-run --Werror ${files}
  RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "unformatted sources (run: clang-format -i on them):\n${err}")
endif()
list(LENGTH files n)
message(STATUS "${n} files formatted")
