# Cross build of the addon for linux-arm64 (`bash scripts/prebuild
# linux-arm64`): Debian's aarch64 compilers (g++-aarch64-linux-gnu) and the
# arm64 mbedtls of the sysroot that scripts/arm64-sysroot unpacks into
# build/arm64-sysroot (scripts/bootstrap makes it). Headers may also come from
# the build machine: mbedtls's and node's (uv.h) are the same for every
# architecture.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
get_filename_component(TMQ_ARM64_SYSROOT "${CMAKE_CURRENT_LIST_DIR}/../build/arm64-sysroot" ABSOLUTE)
set(CMAKE_FIND_ROOT_PATH "${TMQ_ARM64_SYSROOT}" /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
