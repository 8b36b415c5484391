// tinymqtt's Node addon: the native half of the npm package.
//
// Node-API 8 through node-addon-api. All per-environment state lives in the
// Addon instance (Napi::Addon<T> instance data), one per Node environment:
// the main thread and each worker thread get their own. Nothing here is
// static, so a worker can load, use and unload the addon while others run.
//
// The JS side declares this surface once, in lib/native.ts. The clients and
// their loop thread are in client.cc and loop.cc.

#include <napi.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>

#include "client.h"
#include "inline.h"
#include "loop.h"
#include "store.h"

extern "C" {
#include "tinymqtt/error.h"
#include "tinymqtt/topic.h"
}

#ifndef TMQ_PACKAGE_VERSION
#error "TMQ_PACKAGE_VERSION must be defined by the build (binding/CMakeLists.txt)"
#endif

namespace tmq_node {

class Addon : public Napi::Addon<Addon> {
public:
    Addon(Napi::Env env, Napi::Object exports) : loop_(env)
    {
        loop_.SetClientConstructor(ClientWrap::Define(env, &loop_));
        inline_.SetClientConstructor(ClientWrap::Define(env, &inline_));
        DefineAddon(exports, {
            InstanceMethod("version", &Addon::Version),
            InstanceMethod("strerror", &Addon::StrError),
            InstanceMethod("setBatchHandler", &Addon::SetBatchHandler),
            InstanceMethod("createClient", &Addon::CreateClient),
            InstanceMethod("createInlineClient", &Addon::CreateInlineClient),
            InstanceMethod("checkTopic", &Addon::CheckTopic),
            InstanceMethod("checkFilter", &Addon::CheckFilter),
            InstanceMethod("topicMatch", &Addon::TopicMatch),
            InstanceMethod("checkDisconnect", &Addon::CheckDisconnect),
            InstanceMethod("waitEvents", &Addon::WaitEvents),
            InstanceMethod("waitInlineEvents", &Addon::WaitInlineEvents),
            InstanceValue("NativeStore", StoreWrap::Define(env)),
        });
    }

private:
    // setBatchHandler(handler): the environment's one receiver of events.
    Napi::Value SetBatchHandler(const Napi::CallbackInfo &info)
    {
        Napi::Env env = info.Env();
        if (info.Length() < 1 || !info[0].IsFunction())
            throw Napi::TypeError::New(env, "setBatchHandler: handler must be a function");
        loop_.SetHandler(env, info[0].As<Napi::Function>());
        return env.Undefined();
    }

    // createClient(options): a NativeClient on this environment's loop
    // thread, which starts with the first client.
    Napi::Value CreateClient(const Napi::CallbackInfo &info)
    {
        Napi::Env env = info.Env();
        if (!loop_.HasHandler())
            throw Napi::Error::New(env, "createClient: call setBatchHandler first");
        std::unique_ptr<Core> core = Core::Create(env, info[0], &loop_, loop_.NextId());
        loop_.Start(env);
        return loop_.NewClient(std::move(core));
    }

    // createInlineClient(options): a NativeClient driven on this JS thread
    // by libuv (inline.h); its events go to the same batch handler.
    Napi::Value CreateInlineClient(const Napi::CallbackInfo &info)
    {
        Napi::Env env = info.Env();
        if (!loop_.HasHandler())
            throw Napi::Error::New(env, "createInlineClient: call setBatchHandler first");
        std::unique_ptr<Core> core = Core::Create(env, info[0], &inline_, loop_.NextId());
        return inline_.NewClient(env, std::move(core), loop_.Handler());
    }

    // waitEvents(timeoutMs): blocks the calling JS thread (never the loop
    // thread) until events are queued or timeoutMs pass, then delivers one
    // batch to the handler synchronously. Returns the number of events.
    Napi::Value WaitEvents(const Napi::CallbackInfo &info)
    {
        Napi::Env env = info.Env();
        size_t n = loop_.WaitEvents(env, TimeoutMs(info, "waitEvents"));
        return Napi::Number::New(env, static_cast<double>(n));
    }

    // waitInlineEvents(timeoutMs): the same for the inline driver's clients,
    // which it drives on this thread while it waits.
    Napi::Value WaitInlineEvents(const Napi::CallbackInfo &info)
    {
        Napi::Env env = info.Env();
        size_t n = inline_.WaitEvents(env, TimeoutMs(info, "waitInlineEvents"));
        return Napi::Number::New(env, static_cast<double>(n));
    }

    static uint32_t TimeoutMs(const Napi::CallbackInfo &info, const char *method)
    {
        double ms = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1;
        if (!std::isfinite(ms) || ms < 0 || ms > UINT32_MAX)
            throw Napi::TypeError::New(info.Env(), std::string(method) + ": timeoutMs must be a number from 0 to 4294967295");
        return static_cast<uint32_t>(ms);
    }

    // version(): the package version this addon was built from.
    Napi::Value Version(const Napi::CallbackInfo &info)
    {
        return Napi::String::New(info.Env(), TMQ_PACKAGE_VERSION);
    }

    // strerror(code): the engine's constant name for an error code
    // ("TMQ_ERR_UTF8" for -12), "TMQ_ERR_UNKNOWN" for a code it does not
    // know. Throws a TypeError unless code is an integer.
    // checkTopic(name) / checkFilter(filter): the engine's rules for a topic
    // name (PUBLISH, will) or a topic filter, on the string's UTF-8 bytes:
    // 0 when valid, else the engine error code. Throws a TypeError unless
    // given a string.
    Napi::Value CheckTopic(const Napi::CallbackInfo &info) { return Check(info, tmq_topic_check); }
    Napi::Value CheckFilter(const Napi::CallbackInfo &info) { return Check(info, tmq_filter_check); }

    // topicMatch(filter, topic): whether topic name `topic` matches the valid
    // filter `filter` by the engine's rules ($-topics, shared subscriptions).
    Napi::Value TopicMatch(const Napi::CallbackInfo &info)
    {
        Napi::Env env = info.Env();
        if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString())
            throw Napi::TypeError::New(env, "topicMatch: filter and topic must be strings");
        std::string f = info[0].As<Napi::String>().Utf8Value(), t = info[1].As<Napi::String>().Utf8Value();
        if (f.size() > 0xFFFFu || t.size() > 0xFFFFu)
            return Napi::Boolean::New(env, false);
        return Napi::Boolean::New(env, tmq_topic_match(reinterpret_cast<const uint8_t *>(f.data()), static_cast<uint32_t>(f.size()),
                                                       reinterpret_cast<const uint8_t *>(t.data()), static_cast<uint32_t>(t.size())) != 0);
    }

    // checkDisconnect(reason, properties?): whether a 5.0 DISCONNECT with this
    // reason code and property block (a Buffer) is valid, by the engine's
    // encoder: 0, else the engine error code (TMQ_ERR_REASON, ...).
    Napi::Value CheckDisconnect(const Napi::CallbackInfo &info)
    {
        Napi::Env env = info.Env();
        if (info.Length() < 1 || !info[0].IsNumber() || (!info[1].IsUndefined() && !info[1].IsBuffer()))
            throw Napi::TypeError::New(env, "checkDisconnect: reason must be a number, properties a Buffer or undefined");
        uint32_t reason = info[0].As<Napi::Number>().Uint32Value();
        tmq_packet pkt{};
        pkt.type = TMQ_DISCONNECT;
        pkt.version = TMQ_V5;
        pkt.reason = static_cast<uint8_t>(reason);
        if (info[1].IsBuffer()) {
            Napi::Buffer<uint8_t> b = info[1].As<Napi::Buffer<uint8_t>>();
            pkt.props.raw = tmq_bin{b.Data(), static_cast<uint32_t>(b.Length())};
        }
        int32_t n = reason > 0xFF ? TMQ_ERR_REASON : tmq_encode(nullptr, 0, &pkt);
        return Napi::Number::New(env, n < 0 ? n : 0);
    }

    Napi::Value Check(const Napi::CallbackInfo &info, int (*rule)(const uint8_t *, uint32_t))
    {
        Napi::Env env = info.Env();
        if (info.Length() < 1 || !info[0].IsString())
            throw Napi::TypeError::New(env, "check: the argument must be a string");
        std::string s = info[0].As<Napi::String>().Utf8Value();
        if (s.size() > 0xFFFFu)
            return Napi::Number::New(env, TMQ_ERR_TOO_LARGE);
        return Napi::Number::New(env, rule(reinterpret_cast<const uint8_t *>(s.data()), static_cast<uint32_t>(s.size())));
    }

    Napi::Value StrError(const Napi::CallbackInfo &info)
    {
        Napi::Env env = info.Env();
        if (info.Length() < 1 || !info[0].IsNumber())
            throw Napi::TypeError::New(env, "strerror: code must be a number");
        double code = info[0].As<Napi::Number>().DoubleValue();
        if (!std::isfinite(code) || std::trunc(code) != code)
            throw Napi::TypeError::New(env, "strerror: code must be an integer");
        if (code < INT32_MIN || code > INT32_MAX)
            return Napi::String::New(env, "TMQ_ERR_UNKNOWN");
        return Napi::String::New(env, tmq_strerror(static_cast<int>(code)));
    }

    Loop loop_;       // declared first: the ids and the batch handler are its
    Inline inline_;
};

} // namespace tmq_node

using tmq_node::Addon;
NODE_API_ADDON(Addon)
