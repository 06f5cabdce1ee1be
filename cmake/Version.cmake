# Generates mnemo_version.h: the release number and the git commit it was built from,
# printed by every program's --version and stored in manifests and checkpoints.
find_package(Git QUIET)
set(MNEMO_GIT_HASH "unknown")
if(GIT_FOUND)
    execute_process(COMMAND ${GIT_EXECUTABLE} describe --always --dirty --abbrev=12
                    WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
                    OUTPUT_VARIABLE _mnemo_git OUTPUT_STRIP_TRAILING_WHITESPACE
                    ERROR_QUIET RESULT_VARIABLE _mnemo_git_rc)
    if(_mnemo_git_rc EQUAL 0 AND _mnemo_git)
        set(MNEMO_GIT_HASH "${_mnemo_git}")
    endif()
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/mnemo_version.h.in
               ${CMAKE_CURRENT_BINARY_DIR}/generated/mnemo_version.h @ONLY)
