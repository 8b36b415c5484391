// The WebSocket layer of a client (ws:// and wss://): the engine's
// WebSocket transport (tinymqtt/ws_posix.h) over the client's TCP or TLS
// transport, with the request's strings and the layer's buffers it needs.
#ifndef TMQ_NODE_WS_H
#define TMQ_NODE_WS_H

#include <cstdint>
#include <memory>
#include <string>

extern "C" {
#include "tinymqtt/ws_posix.h"
}

namespace tmq_node {

class WsLink {
public:
    // What options.ws gives (lib/ws.ts made and checked them): the request
    // path, the Host header and the extra header lines ("Name: value\r\n"...).
    struct Options {
        std::string path, host, headers;
    };

    // Prepares the layer over lower (which outlives it). Returns TMQ_OK or
    // the engine's refusal of the options (TMQ_ERR_ARG).
    int Start(const Options &o, tmq_posix_io *lower);
    // What the client and the drivers use.
    tmq_posix_io *Io() { return &ws_.io; }
    // The HTTP status of the last upgrade response (0: none came).
    uint16_t HttpStatus() const { return tmq_ws_http_status(&ws_.ws); }

private:
    // frames out of at most this many payload bytes; the upgrade response
    // must fit in kRx
    static constexpr uint32_t kTx = 16 * 1024 + 14;
    static constexpr uint32_t kRx = 4 * 1024;
    Options opt_;
    std::unique_ptr<uint8_t[]> memory_;
    tmq_ws_posix ws_{};
};

} // namespace tmq_node

#endif
