/* The client's MQTT 5.0 enhanced authentication and reasoned DISCONNECT
 * with properties, against the scripted fake broker. */
#include <string.h>
#include "client_fixture.h"
#include "harness.h"

static tmq_prop method[2];
static int auths;
static uint8_t auth_reason;
static char auth_data[16];

/* The auth event: records the step and answers a Continue with "proof". */
static void on_auth(tmq_client *c, const tmq_packet *pkt)
{
    tmq_prop p, answer[2];
    tmq_props props;
    auths++;
    auth_reason = pkt->reason;
    auth_data[0] = 0;
    if (tmq_prop_find(&pkt->props, TMQ_PROP_AUTH_DATA, &p) && p.str.len < sizeof auth_data) {
        memcpy(auth_data, p.str.p, p.str.len);
        auth_data[p.str.len] = 0;
    }
    if (pkt->reason != TMQ_RC_CONTINUE_AUTH)
        return;
    answer[0] = method[0];
    memset(&answer[1], 0, sizeof answer[1]);
    answer[1].id = TMQ_PROP_AUTH_DATA;
    answer[1].str = BIN("proof");
    memset(&props, 0, sizeof props);
    props.list = answer;
    props.count = 2;
    tmq_client_auth(c, TMQ_RC_CONTINUE_AUTH, &props);
}

/* A 5.0 client whose CONNECT names Authentication Method "SCRAM-SHA-1"
 * (with_method) and whose auth event answers the server. */
static int setup_auth(int with_method)
{
    int rc = setup(TMQ_V5);
    if (rc)
        return rc;
    memset(method, 0, sizeof method);
    method[0].id = TMQ_PROP_AUTH_METHOD;
    method[0].str = BIN("SCRAM-SHA-1");
    method[1].id = TMQ_PROP_AUTH_DATA;
    method[1].str = BIN("first");
    F.cfg.connect_props.list = method;
    F.cfg.connect_props.count = with_method ? 2 : 0;
    F.ev.auth = on_auth;
    auths = 0;
    return tmq_client_init(&F.c, &F.cfg, &F.ev, &F.mem, &F.pipe.base);
}

/* The broker sends AUTH with reason and Authentication Data data. */
static void broker_auth(uint8_t reason, const char *data)
{
    tmq_prop props[2];
    tmq_packet p;
    memset(props, 0, sizeof props);
    props[0] = method[0];
    props[1].id = TMQ_PROP_AUTH_DATA;
    props[1].str.p = (const uint8_t *)data;
    props[1].str.len = (uint32_t)strlen(data);
    memset(&p, 0, sizeof p);
    p.type = TMQ_AUTH;
    p.reason = reason;
    p.props.list = props;
    p.props.count = 2;
    pipe_push_packet(&F.pipe, &p, TMQ_V5);
}

/* Whether the broker's last packet carries Authentication Data data. */
static int data_is(const char *data)
{
    tmq_prop p;
    return tmq_prop_find(&F.pkt.props, TMQ_PROP_AUTH_DATA, &p) && p.str.len == strlen(data) &&
           !memcmp(p.str.p, data, p.str.len);
}

TEST(v5_enhanced_auth_exchange_then_reauthentication)
{
    tmq_prop p;
    CHECK_EQ(setup_auth(1), TMQ_OK);
    CHECK_EQ(connect_sent(), 0);
    CHECK_EQ(tmq_prop_find(&F.pkt.props, TMQ_PROP_AUTH_METHOD, &p), 1);
    CHECK(data_is("first"));
    broker_auth(TMQ_RC_CONTINUE_AUTH, "challenge");
    CHECK_EQ(poll_at(F.now), TMQ_STATE_MQTT_CONNECTING);
    CHECK_EQ(auths, 1);
    CHECK(!strcmp(auth_data, "challenge"));
    CHECK_EQ(broker_pop(), TMQ_AUTH);
    CHECK_EQ(F.pkt.reason, TMQ_RC_CONTINUE_AUTH);
    CHECK(data_is("proof"));
    broker_send(TMQ_CONNACK, 0, 0);
    CHECK_EQ(poll_at(F.now), TMQ_STATE_READY);
    /* re-authentication, started by the client while READY */
    method[1].str = BIN("again");
    {
        tmq_props props;
        memset(&props, 0, sizeof props);
        props.list = method;
        props.count = 2;
        CHECK_EQ(then_poll(tmq_client_auth(&F.c, TMQ_RC_REAUTHENTICATE, &props)), TMQ_OK);
    }
    CHECK_EQ(broker_pop(), TMQ_AUTH);
    CHECK_EQ(F.pkt.reason, TMQ_RC_REAUTHENTICATE);
    CHECK(data_is("again"));
    broker_auth(TMQ_RC_CONTINUE_AUTH, "challenge2");
    poll_at(F.now);
    CHECK_EQ(broker_pop(), TMQ_AUTH);
    CHECK(data_is("proof"));
    broker_auth(TMQ_RC_SUCCESS, "done");
    CHECK_EQ(poll_at(F.now), TMQ_STATE_READY);
    CHECK_EQ(auths, 3);
    CHECK_EQ(auth_reason, TMQ_RC_SUCCESS);
    CHECK(!strcmp(auth_data, "done"));
}

TEST(v5_auth_without_a_method_an_event_or_success_while_connecting_is_a_violation)
{
    CHECK_EQ(setup_auth(0), TMQ_OK);
    CHECK_EQ(connect_sent(), 0);
    broker_auth(TMQ_RC_CONTINUE_AUTH, "x");
    CHECK_EQ(poll_at(F.now), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(F.disconnect_err, TMQ_ERR_PROTOCOL_VIOLATION);
    CHECK_EQ(auths, 0);
    CHECK_EQ(setup_auth(1), TMQ_OK);
    CHECK_EQ(connect_sent(), 0);
    broker_auth(TMQ_RC_SUCCESS, "x");
    CHECK_EQ(poll_at(F.now), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(F.disconnect_err, TMQ_ERR_PROTOCOL_VIOLATION);
    CHECK_EQ(broker_pop(), TMQ_DISCONNECT);
    CHECK_EQ(F.pkt.reason, TMQ_RC_PROTOCOL_ERROR);
    /* a method in CONNECT, but no auth event to answer with */
    CHECK_EQ(setup_auth(1), TMQ_OK);
    F.ev.auth = 0;
    CHECK_EQ(connect_sent(), 0);
    broker_auth(TMQ_RC_CONTINUE_AUTH, "x");
    CHECK_EQ(poll_at(F.now), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(F.disconnect_err, TMQ_ERR_PROTOCOL_VIOLATION);
}

TEST(v5_auth_needs_a_connection_and_5_0)
{
    CHECK_EQ(setup_auth(1), TMQ_OK);
    CHECK_EQ(tmq_client_auth(&F.c, TMQ_RC_REAUTHENTICATE, 0), TMQ_ERR_STATE);
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    CHECK_EQ(tmq_client_auth(&F.c, TMQ_RC_REAUTHENTICATE, 0), TMQ_ERR_VERSION);
    CHECK_EQ(tmq_client_disconnect_with(&F.c, 0, 0, F.now), TMQ_ERR_VERSION);
}

TEST(v5_disconnect_with_properties_changes_session_expiry)
{
    tmq_prop asked, later;
    tmq_props connect_props, props;
    tmq_prop p;
    CHECK_EQ(setup(TMQ_V5), TMQ_OK);
    connect_props = one_number_property(&asked, TMQ_PROP_SESSION_EXPIRY, 60);
    F.cfg.connect_props = connect_props;
    CHECK_EQ(tmq_client_init(&F.c, &F.cfg, &F.ev, &F.mem, &F.pipe.base), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    props = one_number_property(&later, TMQ_PROP_SESSION_EXPIRY, 0);
    CHECK_EQ(tmq_client_disconnect_with(&F.c, 0x04, &props, F.now), TMQ_OK);
    poll_at(F.now);
    CHECK_EQ(tmq_client_state(&F.c), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(F.disconnect_err, TMQ_OK);
    CHECK_EQ(broker_pop(), TMQ_DISCONNECT);
    CHECK_EQ(F.pkt.reason, 0x04);
    CHECK_EQ(tmq_prop_find(&F.pkt.props, TMQ_PROP_SESSION_EXPIRY, &p), 1);
    CHECK_EQ(p.num, 0);
    /* a plain disconnect afterwards carries none */
    CHECK_EQ(connect_ready(0), 0);
    CHECK_EQ(tmq_client_disconnect(&F.c, 0, F.now), TMQ_OK);
    poll_at(F.now);
    CHECK_EQ(broker_pop(), TMQ_DISCONNECT);
    CHECK_EQ(tmq_prop_find(&F.pkt.props, TMQ_PROP_SESSION_EXPIRY, &p), 0);
}

TEST(v5_disconnect_refuses_expiry_when_connect_asked_none_and_bad_properties)
{
    tmq_prop later, bad;
    tmq_props props;
    CHECK_EQ(setup(TMQ_V5), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    props = one_number_property(&later, TMQ_PROP_SESSION_EXPIRY, 30);
    CHECK_EQ(tmq_client_disconnect_with(&F.c, 0, &props, F.now), TMQ_ERR_ARG);
    props = one_number_property(&bad, TMQ_PROP_SESSION_EXPIRY, 0);
    bad.id = TMQ_PROP_TOPIC_ALIAS; /* not a DISCONNECT property */
    bad.num = 1;
    CHECK_EQ(tmq_client_disconnect_with(&F.c, 0, &props, F.now), TMQ_ERR_PROP_PACKET);
    CHECK_EQ(tmq_client_state(&F.c), TMQ_STATE_READY); /* refused before anything changed */
}

TEST(v5_disconnect_with_needs_a_connection_and_takes_no_properties_or_expiry_zero)
{
    tmq_prop none;
    tmq_props props;
    CHECK_EQ(setup(TMQ_V5), TMQ_OK);
    CHECK_EQ(tmq_client_disconnect_with(&F.c, 0, 0, F.now), TMQ_ERR_STATE); /* never connected */
    CHECK_EQ(connect_ready(0), 0);
    /* an expiry of 0 changes nothing, so it is allowed when CONNECT asked none */
    props = one_number_property(&none, TMQ_PROP_SESSION_EXPIRY, 0);
    CHECK_EQ(tmq_client_disconnect_with(&F.c, 0, &props, F.now), TMQ_OK);
    poll_at(F.now);
    CHECK_EQ(broker_pop(), TMQ_DISCONNECT);
    CHECK_EQ(connect_ready(0), 0);
    CHECK_EQ(tmq_client_disconnect_with(&F.c, 0x04, 0, F.now), TMQ_OK); /* no properties */
    poll_at(F.now);
    CHECK_EQ(broker_pop(), TMQ_DISCONNECT);
    CHECK_EQ(F.pkt.reason, 0x04);
    CHECK_EQ(F.pkt.props.count, 0);
}
