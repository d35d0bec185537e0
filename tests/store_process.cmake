# The store under real processes (SIGKILL, concurrent writers and readers,
# map growth, a full tmpfs, foreign folders). Needs root for the tmpfs and
# the "nobody" checks. Included from tests/CMakeLists.txt.
add_executable(esfs_store_process_tests ${CMAKE_CURRENT_LIST_DIR}/integration/store_process_test.cc)
target_link_libraries(esfs_store_process_tests PRIVATE esfs_test_support esfs_keys GTest::gtest_main PkgConfig::LMDB)
esfs_test_target(esfs_store_process_tests)
gtest_discover_tests(esfs_store_process_tests PROPERTIES LABELS integration TIMEOUT 600 DISCOVERY_TIMEOUT 60)
