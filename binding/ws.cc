// A client's WebSocket layer (ws.h).
#include "ws.h"

namespace tmq_node {

int WsLink::Start(const Options &o, tmq_posix_io *lower)
{
    opt_ = o;
    memory_.reset(new uint8_t[kTx + kRx]);
    tmq_ws_config cfg{};
    cfg.path = opt_.path.c_str();
    cfg.host = opt_.host.c_str();
    cfg.headers = opt_.headers.empty() ? nullptr : opt_.headers.c_str();
    cfg.tx = memory_.get();
    cfg.tx_cap = kTx;
    cfg.rx = memory_.get() + kTx;
    cfg.rx_cap = kRx;
    return tmq_ws_posix_init(&ws_, lower, &cfg);   // random bytes: the kernel's
}

} // namespace tmq_node
