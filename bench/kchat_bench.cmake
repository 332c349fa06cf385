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
  ${CMAKE_CURRENT_LIST_DIR}/kchat_bench_worker.c
  ${CMAKE_CURRENT_LIST_DIR}/delay_proxy.c)
target_link_libraries(kchat-bench PRIVATE kchat_app)
target_include_directories(kchat-bench PRIVATE ${PROJECT_SOURCE_DIR})

add_test(NAME bench_smoke COMMAND kchat-bench --quick)
# The wide-area link (delay proxy): small counts; kchat-bench itself fails when plain's echo
# p50 is under 2 x the one-way delay (the clients bypassed the proxy). No speed target.
add_test(NAME bench_delay_smoke COMMAND kchat-bench --quick --delay-ms 20 --echo 20 --warmup 5
  --block 10 --small 300 --large 20 --handshakes 2 --idle 1)
foreach(t bench_smoke bench_delay_smoke)
if(COMMAND kchat_broker_test_properties)
  # The function reads this variable in the caller's scope; tests/ sets it only in its own.
  if(NOT KCHAT_TEST_BROKER_FILE)
    set(KCHAT_TEST_BROKER_FILE ${CMAKE_BINARY_DIR}/kafka-test/bootstrap)
  endif()
  kchat_broker_test_properties(${t})
  set_property(TEST ${t} APPEND PROPERTY LABELS bench)
else()
  # tests/ (where the function is defined) is not configured: the same properties.
  set_tests_properties(${t} PROPERTIES LABELS "integration;bench" FIXTURES_REQUIRED broker
    TIMEOUT 300 ENVIRONMENT "KCHAT_TEST_BROKERS_FILE=${CMAKE_BINARY_DIR}/kafka-test/bootstrap")
endif()
endforeach()

# The delay proxy alone, in front of a TCP echo server (no broker): bytes intact and in order over
# several connections, every round trip at least 2 x the one-way delay. No speed target.
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  add_test(NAME bench_delay_proxy
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/delay_proxy_test.py
      $<TARGET_FILE:kchat-bench> --delay-ms 20)
  set_tests_properties(bench_delay_proxy PROPERTIES LABELS bench TIMEOUT 120)
endif()
