// NativeStore (store.h): the file store's JS object.
#include "store.h"

#include <cmath>
#include <cstdlib>

namespace tmq_node {

namespace {

// Marks NativeStore objects, so a client's options.store is checked for
// what it is before it is unwrapped.
const napi_type_tag kStoreTag = {0x746d7173746f7265ULL, 0x4e617469766553ULL};

Napi::Error CodedError(Napi::Env env, const std::string &message, const char *code)
{
    Napi::Error e = Napi::Error::New(env, message);
    e.Set("code", Napi::String::New(env, code));
    return e;
}

Napi::Buffer<char> Copy(Napi::Env env, const tmq_bin &b)
{
    return Napi::Buffer<char>::Copy(env, reinterpret_cast<const char *>(b.p), b.len);
}

} // namespace

std::string StoreHandle::Describe() const
{
    char why[512] = "";
    if (fs)
        tmq_fstore_describe(fs, why, sizeof why);
    return why[0] ? why : path + ": failed";
}

Napi::Error StoreError(Napi::Env env, const std::string &what, const StoreHandle &store)
{
    return CodedError(env, what + ": " + store.Describe(), "TMQ_ERR_STORE");
}

Napi::Function StoreWrap::Define(Napi::Env env)
{
    return DefineClass(env, "NativeStore",
                       {
                           InstanceAccessor<&StoreWrap::Count>("count"),
                           InstanceAccessor<&StoreWrap::NextSequence>("nextSequence"),
                           InstanceAccessor<&StoreWrap::LastError>("lastError"),
                           InstanceMethod<&StoreWrap::Pending>("pending"),
                           InstanceMethod<&StoreWrap::Close>("close"),
                       });
}

StoreWrap::StoreWrap(const Napi::CallbackInfo &info) : Napi::ObjectWrap<StoreWrap>(info)
{
    Napi::Env env = info.Env();
    if (!info[0].IsString())
        throw Napi::TypeError::New(env, "NativeStore: path must be a string");
    if (!info[1].IsNumber() || !info[2].IsNumber())
        throw Napi::TypeError::New(env, "NativeStore: fsync and compactBytes must be numbers");
    double policy = info[1].As<Napi::Number>().DoubleValue(), compact = info[2].As<Napi::Number>().DoubleValue();
    if (policy != TMQ_FSYNC_ALWAYS && policy != TMQ_FSYNC_BATCH && policy != TMQ_FSYNC_NEVER)
        throw Napi::RangeError::New(env, "NativeStore: fsync must be 0, 1 or 2");
    if (!(compact >= 0 && compact <= UINT32_MAX && std::trunc(compact) == compact))
        throw Napi::RangeError::New(env, "NativeStore: compactBytes must be an integer from 0 to 4294967295");
    std::string path = info[0].As<Napi::String>().Utf8Value();
    if (path.empty() || path.find('\0') != std::string::npos)
        throw Napi::TypeError::New(env, "NativeStore: path must be a non-empty string without NUL characters");
    store_ = std::make_shared<StoreHandle>();
    store_->path = path;
    store_->policy = static_cast<tmq_fsync>(static_cast<int>(policy));
    tmq_fstore_options o{};
    o.fsync = store_->policy;
    o.compact_bytes = static_cast<uint32_t>(compact);
    char why[512];
    store_->fs = tmq_fstore_open(path.c_str(), &o, why, sizeof why);
    if (!store_->fs)
        throw CodedError(env, why, "TMQ_ERR_STORE");
    Value().TypeTag(&kStoreTag);
}

std::shared_ptr<StoreHandle> StoreWrap::Of(Napi::Value v)
{
    if (!v.IsObject() || !v.As<Napi::Object>().CheckTypeTag(&kStoreTag))
        return nullptr;
    return Unwrap(v.As<Napi::Object>())->store_;
}

tmq_fstore *StoreWrap::Open(Napi::Env env, const char *method) const
{
    if (!store_->fs)
        throw CodedError(env, std::string(method) + ": the store " + store_->path + " is closed", "TMQ_ERR_CLOSED");
    return store_->fs;
}

Napi::Value StoreWrap::Count(const Napi::CallbackInfo &info)
{
    return Napi::Number::New(info.Env(), tmq_fstore_count(Open(info.Env(), "count")));
}

Napi::Value StoreWrap::NextSequence(const Napi::CallbackInfo &info)
{
    return Napi::Number::New(info.Env(), static_cast<double>(tmq_fstore_next_seq(Open(info.Env(), "nextSequence"))));
}

Napi::Value StoreWrap::LastError(const Napi::CallbackInfo &info)
{
    return Napi::String::New(info.Env(), store_->fs ? store_->Describe() : "");
}

// pending(): [{ sequence, topic, payload, properties, qos, retain, packetId,
// released }] of the messages not done, oldest first (topic, payload and
// properties as Buffers; properties undefined when empty).
Napi::Value StoreWrap::Pending(const Napi::CallbackInfo &info)
{
    Napi::Env env = info.Env();
    tmq_fstore *fs = Open(env, "pending");
    Napi::Array out = Napi::Array::New(env);
    uint32_t n = tmq_fstore_count(fs);
    for (uint32_t i = 0; i < n; i++) {
        tmq_fstore_msg m;
        uint8_t *buf = nullptr;
        if (tmq_fstore_message(fs, i, &m, &buf) != TMQ_OK)
            throw StoreError(env, "pending", *store_);
        std::unique_ptr<uint8_t, void (*)(void *)> owned(buf, std::free);
        Napi::Object o = Napi::Object::New(env);
        o.Set("sequence", Napi::Number::New(env, static_cast<double>(m.seq)));
        o.Set("topic", Copy(env, m.topic));
        o.Set("payload", Copy(env, m.payload));
        o.Set("properties", m.props.len ? Napi::Value(Copy(env, m.props)) : env.Undefined());
        o.Set("qos", Napi::Number::New(env, m.qos));
        o.Set("retain", Napi::Boolean::New(env, m.retain != 0));
        o.Set("packetId", Napi::Number::New(env, m.id));
        o.Set("released", Napi::Boolean::New(env, m.released != 0));
        out.Set(i, o);
    }
    return out;
}

// close(): syncs and closes the file; refused (TMQ_ERR_STATE) while a client
// uses the store. A closed store's methods throw TMQ_ERR_CLOSED.
void StoreWrap::Close(const Napi::CallbackInfo &info)
{
    if (store_->in_use)
        throw CodedError(info.Env(), "close: the store " + store_->path + " is in use by a client; end it first", "TMQ_ERR_STATE");
    tmq_fstore_close(store_->fs);
    store_->fs = nullptr;
}

} // namespace tmq_node
