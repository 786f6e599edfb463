/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/* The libotr peer's OtrlMessageAppOps: every callback reports what
 * happened on stdout (see peer.c for the line protocol). */

#include "peer.h"

static OtrlPolicy op_policy(void *opdata, ConnContext *context)
{
    (void)opdata;
    (void)context;
    return versions | extra_policy;
}

static void op_create_privkey(void *opdata, const char *accountname,
    const char *proto)
{
    gcry_error_t err;
    (void)opdata;
    err = otrl_privkey_generate(us, key_path, accountname, proto);
    if (err) {
        fprintf(stderr, "libotr-peer: generating a key: %s\n",
            gcry_strerror(err));
    }
}

/* Always "logged in": otherwise libotr ends a session without telling the
 * other side (no TLV 1 in otrl_message_disconnect*). */
static int op_is_logged_in(void *opdata, const char *accountname,
    const char *proto, const char *recipient)
{
    (void)opdata;
    (void)accountname;
    (void)proto;
    (void)recipient;
    return 1;
}

void op_inject_message(void *opdata, const char *accountname,
    const char *proto, const char *recipient, const char *message)
{
    (void)opdata;
    (void)accountname;
    (void)proto;
    /* In the FINISHED state libotr "sends" an empty message in place of the
     * user's text: there is nothing to deliver. */
    if (!message || !*message) return;
    printf("wire %s ", recipient);
    put_hex_str(message);
    putchar('\n');
}

static void op_update_context_list(void *opdata)
{
    (void)opdata;
}

static void op_new_fingerprint(void *opdata, OtrlUserState ustate,
    const char *accountname, const char *proto, const char *username,
    unsigned char fingerprint[20])
{
    (void)opdata;
    (void)ustate;
    (void)accountname;
    (void)proto;
    printf("event new-fingerprint %s ", username);
    put_fp(fingerprint);
    putchar('\n');
}

void op_write_fingerprints(void *opdata)
{
    gcry_error_t err;
    (void)opdata;
    err = otrl_privkey_write_fingerprints(us, fingerprints_path);
    if (err) {
        fprintf(stderr, "libotr-peer: writing fingerprints: %s\n",
            gcry_strerror(err));
    }
}

static void op_gone_secure(void *opdata, ConnContext *context)
{
    (void)opdata;
    (void)context;
    puts("event gone-secure");
}

static void op_gone_insecure(void *opdata, ConnContext *context)
{
    (void)opdata;
    (void)context;
    puts("event gone-insecure");
}

static void op_still_secure(void *opdata, ConnContext *context, int is_reply)
{
    (void)opdata;
    (void)context;
    (void)is_reply;
    puts("event still-secure");
}

static int op_max_message_size(void *opdata, ConnContext *context)
{
    (void)opdata;
    (void)context;
    return max_size;
}

static const char *op_otr_error_message(void *opdata, ConnContext *context,
    OtrlErrorCode code)
{
    (void)opdata;
    (void)context;
    switch (code) {
    case OTRL_ERRCODE_ENCRYPTION_ERROR:
        return "Error occurred encrypting message.";
    case OTRL_ERRCODE_MSG_NOT_IN_PRIVATE:
        return "You sent encrypted data to a peer who wasn't expecting it.";
    case OTRL_ERRCODE_MSG_UNREADABLE:
        return "You transmitted an unreadable encrypted message.";
    case OTRL_ERRCODE_MSG_MALFORMED:
        return "You transmitted a malformed data message.";
    default:
        return "Unknown error.";
    }
}

static void op_otr_error_message_free(void *opdata, const char *msg)
{
    /* The messages above are static. */
    (void)opdata;
    (void)msg;
}

static void op_handle_smp_event(void *opdata, OtrlSMPEvent event,
    ConnContext *context, unsigned short progress, char *question)
{
    (void)opdata;
    (void)progress;
    switch (event) {
    case OTRL_SMPEVENT_ASK_FOR_SECRET:
        puts("event smp-ask");
        break;
    case OTRL_SMPEVENT_ASK_FOR_ANSWER:
        printf("event smp-ask ");
        put_hex_str(question ? question : "");
        putchar('\n');
        break;
    case OTRL_SMPEVENT_IN_PROGRESS:
        puts("event smp-in-progress");
        break;
    case OTRL_SMPEVENT_SUCCESS:
        puts("event smp-success");
        break;
    case OTRL_SMPEVENT_FAILURE:
        puts("event smp-failure");
        break;
    case OTRL_SMPEVENT_ABORT:
        puts("event smp-abort");
        break;
    case OTRL_SMPEVENT_CHEATED:
        puts("event smp-cheated");
        smp_to_abort = context;
        break;
    case OTRL_SMPEVENT_ERROR:
        puts("event smp-error");
        smp_to_abort = context;
        break;
    default:
        printf("event smp-unknown %d\n", (int)event);
        break;
    }
}

static const char *msg_event_name(OtrlMessageEvent event)
{
    switch (event) {
    case OTRL_MSGEVENT_NONE: return "OTRL_MSGEVENT_NONE";
    case OTRL_MSGEVENT_ENCRYPTION_REQUIRED:
        return "OTRL_MSGEVENT_ENCRYPTION_REQUIRED";
    case OTRL_MSGEVENT_ENCRYPTION_ERROR:
        return "OTRL_MSGEVENT_ENCRYPTION_ERROR";
    case OTRL_MSGEVENT_CONNECTION_ENDED:
        return "OTRL_MSGEVENT_CONNECTION_ENDED";
    case OTRL_MSGEVENT_SETUP_ERROR: return "OTRL_MSGEVENT_SETUP_ERROR";
    case OTRL_MSGEVENT_MSG_REFLECTED: return "OTRL_MSGEVENT_MSG_REFLECTED";
    case OTRL_MSGEVENT_MSG_RESENT: return "OTRL_MSGEVENT_MSG_RESENT";
    case OTRL_MSGEVENT_RCVDMSG_NOT_IN_PRIVATE:
        return "OTRL_MSGEVENT_RCVDMSG_NOT_IN_PRIVATE";
    case OTRL_MSGEVENT_RCVDMSG_UNREADABLE:
        return "OTRL_MSGEVENT_RCVDMSG_UNREADABLE";
    case OTRL_MSGEVENT_RCVDMSG_MALFORMED:
        return "OTRL_MSGEVENT_RCVDMSG_MALFORMED";
    case OTRL_MSGEVENT_LOG_HEARTBEAT_RCVD:
        return "OTRL_MSGEVENT_LOG_HEARTBEAT_RCVD";
    case OTRL_MSGEVENT_LOG_HEARTBEAT_SENT:
        return "OTRL_MSGEVENT_LOG_HEARTBEAT_SENT";
    case OTRL_MSGEVENT_RCVDMSG_GENERAL_ERR:
        return "OTRL_MSGEVENT_RCVDMSG_GENERAL_ERR";
    case OTRL_MSGEVENT_RCVDMSG_UNENCRYPTED:
        return "OTRL_MSGEVENT_RCVDMSG_UNENCRYPTED";
    case OTRL_MSGEVENT_RCVDMSG_UNRECOGNIZED:
        return "OTRL_MSGEVENT_RCVDMSG_UNRECOGNIZED";
    case OTRL_MSGEVENT_RCVDMSG_FOR_OTHER_INSTANCE:
        return "OTRL_MSGEVENT_RCVDMSG_FOR_OTHER_INSTANCE";
    default: return "OTRL_MSGEVENT_UNKNOWN";
    }
}

/* "event msg NAME [HEX]": HEX is the message libotr passed (the error text,
 * or the unencrypted message), else the gcrypt error text, if any. */
static void op_handle_msg_event(void *opdata, OtrlMessageEvent event,
    ConnContext *context, const char *message, gcry_error_t err)
{
    (void)opdata;
    (void)context;
    printf("event msg %s", msg_event_name(event));
    if (message) {
        putchar(' ');
        put_hex_str(message);
    } else if (err) {
        putchar(' ');
        put_hex_str(gcry_strerror(err));
    }
    putchar('\n');
}

static void op_create_instag(void *opdata, const char *accountname,
    const char *proto)
{
    gcry_error_t err;
    (void)opdata;
    err = otrl_instag_generate(us, instags_path, accountname, proto);
    if (err) {
        fprintf(stderr, "libotr-peer: generating an instance tag: %s\n",
            gcry_strerror(err));
    }
}

static void op_timer_control(void *opdata, unsigned int interval)
{
    (void)opdata;
    timer_interval = interval;
    timer_due = interval ? time(NULL) + interval : 0;
}

OtrlMessageAppOps ops = {
    .policy = op_policy,
    .create_privkey = op_create_privkey,
    .is_logged_in = op_is_logged_in,
    .inject_message = op_inject_message,
    .update_context_list = op_update_context_list,
    .new_fingerprint = op_new_fingerprint,
    .write_fingerprints = op_write_fingerprints,
    .gone_secure = op_gone_secure,
    .gone_insecure = op_gone_insecure,
    .still_secure = op_still_secure,
    .max_message_size = op_max_message_size,
    .otr_error_message = op_otr_error_message,
    .otr_error_message_free = op_otr_error_message_free,
    .handle_smp_event = op_handle_smp_event,
    .handle_msg_event = op_handle_msg_event,
    .create_instag = op_create_instag,
    .timer_control = op_timer_control,
};
