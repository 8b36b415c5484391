// The durable store of the addon: a file store (tinymqtt/file_store.h) held
// by its NativeStore JS object (lib/native.ts) and, while one uses it, by a
// client. The JS thread writes a message's record when publish() is called;
// the loop thread's engine hooks write the rest. The file store has its own
// mutex, so both threads may call it.
#ifndef TMQ_NODE_STORE_H
#define TMQ_NODE_STORE_H

#include <napi.h>

#include <atomic>
#include <memory>
#include <string>

extern "C" {
#include "tinymqtt/file_store.h"
}

namespace tmq_node {

// One open store. fs is NULL once closed.
struct StoreHandle {
    tmq_fstore *fs = nullptr;
    tmq_fsync policy = TMQ_FSYNC_ALWAYS;
    std::string path;
    std::atomic<bool> in_use{false};   // a client (Core) has it

    ~StoreHandle() { tmq_fstore_close(fs); }
    // The last failure, naming the path ("write /x.store: No space left on device").
    std::string Describe() const;
};

// An Error with code TMQ_ERR_STORE: "<what>: <the store's last failure>".
Napi::Error StoreError(Napi::Env env, const std::string &what, const StoreHandle &store);

// NativeStore: new NativeStore(path, fsync, compactBytes) opens (creates) the
// file and replays it; failures throw an Error with code TMQ_ERR_STORE
// whose message names the path.
class StoreWrap : public Napi::ObjectWrap<StoreWrap> {
public:
    static Napi::Function Define(Napi::Env env);
    explicit StoreWrap(const Napi::CallbackInfo &info);
    // The store of a NativeStore object, or nullptr for any other value.
    static std::shared_ptr<StoreHandle> Of(Napi::Value v);

private:
    Napi::Value Count(const Napi::CallbackInfo &info);
    Napi::Value NextSequence(const Napi::CallbackInfo &info);
    Napi::Value LastError(const Napi::CallbackInfo &info);
    Napi::Value Pending(const Napi::CallbackInfo &info);
    void Close(const Napi::CallbackInfo &info);
    tmq_fstore *Open(Napi::Env env, const char *method) const;

    std::shared_ptr<StoreHandle> store_;
};

} // namespace tmq_node

#endif
