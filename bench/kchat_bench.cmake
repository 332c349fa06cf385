# kchat-bench: kchat's end-to-end encryption vs plain Kafka, side by side on one broker (method:
# top of kchat_bench.c). Included from bench/CMakeLists.txt. The smoke run (small counts, label
# "bench") needs the broker fixture of tests/CMakeLists.txt.
add_executable(kchat-bench
  ${CMAKE_CURRENT_LIST_DIR}/kchat_bench.c
  ${CMAKE_CURRENT_LIST_DIR}/kchat_bench_kchat.c
  ${CMAKE_CURRENT_LIST_DIR}/kchat_bench_plain.c
  ${CMAKE_CURRENT_LIST_DIR}/kchat_bench_proc.c
  ${CMAKE_CURRENT_LIST_DIR}/kchat_bench_report.c
  ${CMAKE_CURRENT_LIST_DIR}/kchat_bench_run.c
  ${CMAKE_CURRENT_LIST_DIR}/kchat_bench_util.c
  ${CMAKE_CURRENT_LIST_DIR}/kchat_bench_worker.c)
target_link_libraries(kchat-bench PRIVATE kchat_app)
target_include_directories(kchat-bench PRIVATE ${PROJECT_SOURCE_DIR})

add_test(NAME bench_smoke COMMAND kchat-bench --quick)
if(COMMAND kchat_broker_test_properties)
  # The function reads this variable in the caller's scope; tests/ sets it only in its own.
  if(NOT KCHAT_TEST_BROKER_FILE)
    set(KCHAT_TEST_BROKER_FILE ${CMAKE_BINARY_DIR}/kafka-test/bootstrap)
  endif()
  kchat_broker_test_properties(bench_smoke)
  set_property(TEST bench_smoke APPEND PROPERTY LABELS bench)
else()
  # tests/ (where the function is defined) is not configured: the same properties.
  set_tests_properties(bench_smoke PROPERTIES LABELS "integration;bench" FIXTURES_REQUIRED broker
    TIMEOUT 300 ENVIRONMENT "KCHAT_TEST_BROKERS_FILE=${CMAKE_BINARY_DIR}/kafka-test/bootstrap")
endif()
