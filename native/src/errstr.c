/* tmq_strerror: error code names for logs and bindings. */
#include "tinymqtt/error.h"

static const char *const names[] = {
    "TMQ_OK", "TMQ_ERR_BUF_TOO_SMALL", "TMQ_ERR_INCOMPLETE", "TMQ_ERR_VBI", "TMQ_ERR_SHORT_PACKET",
    "TMQ_ERR_FIELD_LENGTH", "TMQ_ERR_TOPIC_LENGTH", "TMQ_ERR_TRAILING", "TMQ_ERR_TYPE", "TMQ_ERR_FLAGS",
    "TMQ_ERR_QOS", "TMQ_ERR_DUP", "TMQ_ERR_UTF8", "TMQ_ERR_TOPIC", "TMQ_ERR_FILTER", "TMQ_ERR_SHARED",
    "TMQ_ERR_SUBACK_COUNT", "TMQ_ERR_NO_FILTERS", "TMQ_ERR_PACKET_ID", "TMQ_ERR_PROTOCOL",
    "TMQ_ERR_RESERVED", "TMQ_ERR_WILL", "TMQ_ERR_PASSWORD", "TMQ_ERR_CLIENT_ID", "TMQ_ERR_REASON",
    "TMQ_ERR_PROP_ID", "TMQ_ERR_PROP_PACKET", "TMQ_ERR_PROP_DUP", "TMQ_ERR_PROP_VALUE",
    "TMQ_ERR_PROP_LENGTH", "TMQ_ERR_TOO_LARGE", "TMQ_ERR_VERSION", "TMQ_ERR_ARG",
};

const char *tmq_strerror(int err)
{
    unsigned i = (unsigned)-err;
    if (err > 0 || i >= sizeof names / sizeof names[0])
        return "TMQ_ERR_UNKNOWN";
    return names[i];
}
