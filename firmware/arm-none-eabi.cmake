# CMake toolchain for bare-metal ARM Cortex-M with arm-none-eabi-gcc.
#   cmake -S . -B build/arm -DCMAKE_TOOLCHAIN_FILE=firmware/arm-none-eabi.cmake \
#         [-DTMQ_CPU=cortex-m3|cortex-m4] [-DTMQ_FLOAT=soft|hard]
# Builds the engine libraries only (host tests are off when cross compiling).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_AR arm-none-eabi-ar)
set(CMAKE_RANLIB arm-none-eabi-ranlib)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(TMQ_CPU cortex-m4 CACHE STRING "Cortex-M core (cortex-m3, cortex-m4)")
set(TMQ_FLOAT soft CACHE STRING "Floating point ABI (soft, hard; hard needs cortex-m4)")

if(TMQ_FLOAT STREQUAL "hard" AND NOT TMQ_CPU STREQUAL "cortex-m4")
  message(FATAL_ERROR "TMQ_FLOAT=hard needs TMQ_CPU=cortex-m4 (the Cortex-M3 has no FPU)")
endif()

set(tmq_arch "-mcpu=${TMQ_CPU} -mthumb")
if(TMQ_FLOAT STREQUAL "hard")
  string(APPEND tmq_arch " -mfloat-abi=hard -mfpu=fpv4-sp-d16")
else()
  string(APPEND tmq_arch " -mfloat-abi=soft")
endif()
set(CMAKE_C_FLAGS_INIT "${tmq_arch}")
set(CMAKE_ASM_FLAGS_INIT "${tmq_arch}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${tmq_arch} -Wl,--gc-sections")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
