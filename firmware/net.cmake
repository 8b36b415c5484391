# lwIP for the MPS2 network images, compiled from the Debian source tree
# that scripts/fetch-sources unpacked: the core, IPv4, TCP and Ethernet/ARP
# (raw API, NO_SYS=1), configured by firmware/lwip/lwipopts.h. Third-party
# code: compiled without our warning flags, its headers included as system
# headers so they do not warn in our files. Included by CMakeLists.txt.
set(LWIP_DIR ${TMQ_DEB_SRC}/lwip-2.1.3+dfsg1)
if(NOT EXISTS ${LWIP_DIR}/src/core/tcp.c)
  message(FATAL_ERROR "lwIP sources not found in ${LWIP_DIR}: run scripts/fetch-sources (scripts/bootstrap does)")
endif()

add_library(lwip STATIC
  ${LWIP_DIR}/src/core/init.c ${LWIP_DIR}/src/core/def.c ${LWIP_DIR}/src/core/inet_chksum.c
  ${LWIP_DIR}/src/core/ip.c ${LWIP_DIR}/src/core/mem.c ${LWIP_DIR}/src/core/memp.c
  ${LWIP_DIR}/src/core/netif.c ${LWIP_DIR}/src/core/pbuf.c ${LWIP_DIR}/src/core/tcp.c
  ${LWIP_DIR}/src/core/tcp_in.c ${LWIP_DIR}/src/core/tcp_out.c ${LWIP_DIR}/src/core/timeouts.c
  ${LWIP_DIR}/src/core/ipv4/etharp.c ${LWIP_DIR}/src/core/ipv4/icmp.c ${LWIP_DIR}/src/core/ipv4/ip4.c
  ${LWIP_DIR}/src/core/ipv4/ip4_addr.c ${LWIP_DIR}/src/netif/ethernet.c
)
target_include_directories(lwip SYSTEM PUBLIC ${LWIP_DIR}/src/include ${CMAKE_CURRENT_SOURCE_DIR}/lwip)
target_compile_options(lwip PRIVATE -std=c99 -ffunction-sections -fdata-sections -w)

# The network images: fw_net_images()
function(fw_net_images)
  add_library(mps2_net OBJECT
    mps2/lan9118.c  # the Ethernet controller as an lwIP netif
    lwip/port.c     # what lwIP asks of the platform: sys_now, LWIP_RAND, assertions
  )
  target_include_directories(mps2_net PRIVATE mps2)
  target_compile_options(mps2_net PRIVATE ${FW_FLAGS})
  target_link_libraries(mps2_net PUBLIC lwip)
  fw_image(lwip-client "lwip_client.c;client_session.c" "tinymqtt_lwip;mps2_net;tinymqtt")
endfunction()
