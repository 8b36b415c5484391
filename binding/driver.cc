// What both drivers share (driver.h).
#include "driver.h"

#include <algorithm>

#include "client.h"

namespace tmq_node {

Napi::Object Driver::Wrap(Core *core, ClientWrap **wrap)
{
    new_core_ = core;
    Napi::Object obj;
    try {
        obj = client_ctor_.New({});
    } catch (...) {
        new_core_ = nullptr;
        throw;
    }
    *wrap = ClientWrap::Unwrap(obj);
    (*wrap)->Ref();
    return obj;
}

void Driver::SyncEachRound(tmq_fstore *fs, bool on)
{
    auto at = std::find(batch_stores_.begin(), batch_stores_.end(), fs);
    if (on && at == batch_stores_.end())
        batch_stores_.push_back(fs);
    else if (!on && at != batch_stores_.end())
        batch_stores_.erase(at);
}

void Driver::SyncStores()
{
    for (tmq_fstore *fs : batch_stores_)
        tmq_fstore_sync(fs);
}

} // namespace tmq_node
