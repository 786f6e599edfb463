/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*
 * The C libotr reference peer for Sotto's OTR interop tests.
 *
 * One process is one libotr account. It keeps its files in DIR, named as
 * Pidgin names them (otr.private_key, otr.fingerprints, otr.instance_tags),
 * and speaks a line protocol on stdin/stdout. Nothing here touches the
 * network: every message libotr wants to send is captured and printed, and
 * the test harness (tests/src/libotr.rs) carries it to the other side.
 * This file holds the line protocol and the requests; ops.c holds libotr's
 * callbacks.
 *
 *     usage: libotr-peer ACCOUNT PROTOCOL DIR
 *
 * Requests, one per line, fields separated by one space. PEER is a token
 * without whitespace; TEXT, WIRE, SECRET and QUESTION are hex-encoded bytes
 * ("-" for the empty text; no NUL bytes); FP is a fingerprint as 40 hex
 * digits.
 *
 *   key                       load DIR/otr.private_key, or generate it
 *   fingerprint               -> "fingerprint FP"
 *   instance-tag              -> "instance-tag HEX"
 *   versions v2|v3|both       allowed protocol versions
 *   whitespace 0|1            OTRL_POLICY_SEND_WHITESPACE_TAG
 *   require 0|1               OTRL_POLICY_REQUIRE_ENCRYPTION
 *   max-size N                max_message_size (0: never fragment)
 *   send PEER TEXT            otrl_message_sending
 *   recv PEER WIRE            otrl_message_receiving
 *   query PEER                send "?OTR?", which libotr replaces
 *   end PEER                  otrl_message_disconnect_all_instances
 *   smp PEER SECRET [QUESTION]
 *   smp-respond PEER SECRET
 *   smp-abort PEER
 *   state PEER                -> "state plaintext|encrypted|finished VERSION"
 *   peer-fingerprint PEER     -> "peer-fingerprint FP trusted|untrusted"
 *                                or "peer-fingerprint none"
 *   known-fingerprints PEER   -> "known FP trusted|untrusted" per fingerprint
 *   trust PEER FP / untrust PEER FP
 *   write-fingerprints        otrl_privkey_write_fingerprints
 *   poll                      otrl_message_poll now
 *   quit
 *
 * Every request is answered by zero or more report lines, then exactly one
 * of "ok" or "err REASON". Report lines:
 *
 *   wire PEER HEX             a message to deliver to PEER, in order
 *   plaintext HEX             what the user would see
 *   event NAME [ARG...]       a libotr callback fired (see the harness)
 *
 * On start the peer prints "ready LIBOTR-VERSION".
 */

/* First: it sets _POSIX_C_SOURCE before any system header. */
#include "peer.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <libotr/version.h>

OtrlUserState us;
const char *account;
const char *protocol;
char *key_path;
char *fingerprints_path;
char *instags_path;

/* Policy bits other than the versions: start the AKE when the other side
 * offers OTR by whitespace tag or error message, as Pidgin's default does. */
OtrlPolicy versions = OTRL_POLICY_ALLOW_V2 | OTRL_POLICY_ALLOW_V3;
OtrlPolicy extra_policy =
    OTRL_POLICY_WHITESPACE_START_AKE | OTRL_POLICY_ERROR_START_AKE;
int max_size;

/* timer_control: 0 when off, else the interval and the next due time. */
unsigned int timer_interval;
time_t timer_due;

/* Set by handle_smp_event on CHEATED/ERROR: abort like Pidgin does, once
 * libotr has returned. */
ConnContext *smp_to_abort;

/* ---- output ------------------------------------------------------------ */

void put_hex(const unsigned char *bytes, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;
    for (i = 0; i < len; i++) {
        putchar(digits[bytes[i] >> 4]);
        putchar(digits[bytes[i] & 0x0f]);
    }
}

void put_hex_str(const char *s)
{
    put_hex((const unsigned char *)s, strlen(s));
}

/* A fingerprint as 40 uppercase hex digits (libotr's human form without
 * the spaces). */
void put_fp(const unsigned char raw[20])
{
    char human[OTRL_PRIVKEY_FPRINT_HUMAN_LEN];
    const char *p;
    otrl_privkey_hash_to_human(human, raw);
    for (p = human; *p; p++) {
        if (*p != ' ') putchar(*p);
    }
}

static void reply_ok(void)
{
    puts("ok");
}

static void reply_err(const char *what, gcry_error_t err)
{
    if (err) {
        printf("err %s: %s\n", what, gcry_strerror(err));
    } else {
        printf("err %s\n", what);
    }
}

/* ---- input ------------------------------------------------------------- */

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes hex into a NUL-terminated buffer; NULL on bad input or a NUL
 * byte (libotr takes C strings). */
static char *unhex(const char *hex)
{
    size_t n = strlen(hex), i;
    char *out;
    if (strcmp(hex, "-") == 0) n = 0; /* the empty text */
    if (n % 2) return NULL;
    out = malloc(n / 2 + 1);
    if (!out) return NULL;
    for (i = 0; i < n / 2; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            free(out);
            return NULL;
        }
        out[i] = (char)(hi * 16 + lo);
    }
    out[n / 2] = '\0';
    return out;
}

static int unhex_fp(const char *hex, unsigned char raw[20])
{
    int i;
    if (strlen(hex) != 40) return -1;
    for (i = 0; i < 20; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        raw[i] = (unsigned char)(hi * 16 + lo);
    }
    return 0;
}

static char *path_in(const char *dir, const char *name)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *p = malloc(len);
    if (!p) {
        perror("libotr-peer: malloc");
        exit(2);
    }
    snprintf(p, len, "%s/%s", dir, name);
    return p;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* ---- commands ---------------------------------------------------------- */

static void poll_if_due(void)
{
    if (timer_interval && time(NULL) >= timer_due) {
        timer_due = time(NULL) + timer_interval;
        otrl_message_poll(us, &ops, NULL);
    }
}

static void abort_smp_if_asked(void)
{
    if (smp_to_abort) {
        ConnContext *context = smp_to_abort;
        smp_to_abort = NULL;
        otrl_message_abort_smp(us, &ops, NULL, context);
    }
}

/* The context a user action applies to: the most secure instance. */
static ConnContext *best_context(const char *peer)
{
    return otrl_context_find(us, peer, account, protocol, OTRL_INSTAG_BEST,
        0, NULL, NULL, NULL);
}

static void cmd_key(void)
{
    gcry_error_t err;
    if (exists(key_path)) {
        err = otrl_privkey_read(us, key_path);
        if (err) {
            reply_err("reading otr.private_key", err);
            return;
        }
    }
    if (!otrl_privkey_find(us, account, protocol)) {
        err = otrl_privkey_generate(us, key_path, account, protocol);
        if (err) {
            reply_err("generating the private key", err);
            return;
        }
    }
    if (exists(instags_path)) {
        err = otrl_instag_read(us, instags_path);
        if (err) {
            reply_err("reading otr.instance_tags", err);
            return;
        }
    }
    if (!otrl_instag_find(us, account, protocol)) {
        err = otrl_instag_generate(us, instags_path, account, protocol);
        if (err) {
            reply_err("generating the instance tag", err);
            return;
        }
    }
    if (exists(fingerprints_path)) {
        err = otrl_privkey_read_fingerprints(us, fingerprints_path, NULL,
            NULL);
        if (err) {
            reply_err("reading otr.fingerprints", err);
            return;
        }
    }
    reply_ok();
}

static void cmd_send(const char *peer, const char *text)
{
    char *out = NULL;
    gcry_error_t err = otrl_message_sending(us, &ops, NULL, account,
        protocol, peer, OTRL_INSTAG_BEST, text, NULL, &out,
        OTRL_FRAGMENT_SEND_ALL, NULL, NULL, NULL);
    if (err) {
        otrl_message_free(out);
        reply_err("otrl_message_sending", err);
        return;
    }
    /* With OTRL_FRAGMENT_SEND_ALL libotr has injected whatever it made of
     * the message (and leaves it in *out too: it must not go out twice).
     * No result means "send the original unchanged". */
    if (!out) {
        op_inject_message(NULL, account, protocol, peer, text);
    }
    otrl_message_free(out);
    reply_ok();
}

static void cmd_recv(const char *peer, const char *wire)
{
    char *newmsg = NULL;
    OtrlTLV *tlvs = NULL, *tlv;
    int internal = otrl_message_receiving(us, &ops, NULL, account, protocol,
        peer, wire, &newmsg, &tlvs, NULL, NULL, NULL);
    for (tlv = tlvs; tlv; tlv = tlv->next) {
        printf("event tlv %u\n", (unsigned int)tlv->type);
    }
    otrl_tlv_free(tlvs);
    if (!internal) {
        printf("plaintext ");
        put_hex_str(newmsg ? newmsg : wire);
        putchar('\n');
    }
    otrl_message_free(newmsg);
    abort_smp_if_asked();
    reply_ok();
}

static void cmd_smp(const char *peer, const char *secret, const char *question,
    int initiate)
{
    ConnContext *context = best_context(peer);
    size_t len = strlen(secret);
    if (!context || context->msgstate != OTRL_MSGSTATE_ENCRYPTED) {
        /* libotr would silently do nothing. */
        reply_err("no encrypted session with that peer", 0);
        return;
    }
    if (!initiate) {
        otrl_message_respond_smp(us, &ops, NULL, context,
            (const unsigned char *)secret, len);
    } else if (question) {
        otrl_message_initiate_smp_q(us, &ops, NULL, context, question,
            (const unsigned char *)secret, len);
    } else {
        otrl_message_initiate_smp(us, &ops, NULL, context,
            (const unsigned char *)secret, len);
    }
    reply_ok();
}

static void cmd_smp_abort(const char *peer)
{
    ConnContext *context = best_context(peer);
    if (!context || context->msgstate != OTRL_MSGSTATE_ENCRYPTED) {
        reply_err("no encrypted session with that peer", 0);
        return;
    }
    otrl_message_abort_smp(us, &ops, NULL, context);
    reply_ok();
}

static void cmd_state(const char *peer)
{
    ConnContext *context = best_context(peer);
    const char *name = "plaintext";
    unsigned int version = 0;
    if (context) {
        version = context->protocol_version;
        switch (context->msgstate) {
        case OTRL_MSGSTATE_PLAINTEXT: name = "plaintext"; break;
        case OTRL_MSGSTATE_ENCRYPTED: name = "encrypted"; break;
        case OTRL_MSGSTATE_FINISHED: name = "finished"; break;
        default: name = "unknown"; break;
        }
    }
    printf("state %s %u\n", name, version);
    reply_ok();
}

static const char *trust_word(Fingerprint *fp)
{
    return otrl_context_is_fingerprint_trusted(fp) ? "trusted" : "untrusted";
}

static void cmd_peer_fingerprint(const char *peer)
{
    ConnContext *context = best_context(peer);
    if (context && context->active_fingerprint &&
        context->active_fingerprint->fingerprint) {
        printf("peer-fingerprint ");
        put_fp(context->active_fingerprint->fingerprint);
        printf(" %s\n", trust_word(context->active_fingerprint));
    } else {
        puts("peer-fingerprint none");
    }
    reply_ok();
}

static ConnContext *master_context(const char *peer)
{
    return otrl_context_find(us, peer, account, protocol, OTRL_INSTAG_MASTER,
        0, NULL, NULL, NULL);
}

static void cmd_known_fingerprints(const char *peer)
{
    ConnContext *context = master_context(peer);
    Fingerprint *fp;
    for (fp = context ? context->fingerprint_root.next : NULL; fp;
         fp = fp->next) {
        printf("known ");
        put_fp(fp->fingerprint);
        printf(" %s\n", trust_word(fp));
    }
    reply_ok();
}

static void cmd_trust(const char *peer, const char *fphex, int trusted)
{
    unsigned char raw[20];
    ConnContext *context = master_context(peer);
    Fingerprint *fp;
    if (unhex_fp(fphex, raw)) {
        reply_err("a fingerprint is 40 hex digits", 0);
        return;
    }
    fp = context ? otrl_context_find_fingerprint(context, raw, 0, NULL)
                 : NULL;
    if (!fp) {
        reply_err("that fingerprint is not known for that peer", 0);
        return;
    }
    otrl_context_set_trust(fp, trusted ? "verified" : "");
    op_write_fingerprints(NULL);
    reply_ok();
}

static void cmd_fingerprint(void)
{
    unsigned char raw[20];
    if (!otrl_privkey_fingerprint_raw(us, raw, account, protocol)) {
        reply_err("no private key (send \"key\" first)", 0);
        return;
    }
    printf("fingerprint ");
    put_fp(raw);
    putchar('\n');
    reply_ok();
}

static void cmd_instance_tag(void)
{
    OtrlInsTag *tag = otrl_instag_find(us, account, protocol);
    if (!tag) {
        reply_err("no instance tag (send \"key\" first)", 0);
        return;
    }
    printf("instance-tag %08x\n", tag->instag);
    reply_ok();
}

static int parse_flag(const char *arg, OtrlPolicy bit)
{
    if (arg && strcmp(arg, "1") == 0) {
        extra_policy |= bit;
    } else if (arg && strcmp(arg, "0") == 0) {
        extra_policy &= ~bit;
    } else {
        return -1;
    }
    return 0;
}

/* Splits line into at most max space-separated fields; returns how many. */
static int split(char *line, char **fields, int max)
{
    int n = 0;
    char *save = NULL, *tok = strtok_r(line, " ", &save);
    while (tok && n < max) {
        fields[n++] = tok;
        tok = strtok_r(NULL, " ", &save);
    }
    return tok ? max + 1 : n;
}

#define NEED(count)                                                      \
    do {                                                                 \
        if (n != (count)) {                                              \
            reply_err("wrong number of arguments", 0);                   \
            return;                                                      \
        }                                                                \
    } while (0)

/* Runs request f[0] with n fields; a and b are f[2] and f[3] decoded from
 * hex, for the requests that carry text. */
static void run(char **f, int n, const char *a, const char *b)
{
    if (strcmp(f[0], "key") == 0) {
        NEED(1);
        cmd_key();
    } else if (strcmp(f[0], "fingerprint") == 0) {
        NEED(1);
        cmd_fingerprint();
    } else if (strcmp(f[0], "instance-tag") == 0) {
        NEED(1);
        cmd_instance_tag();
    } else if (strcmp(f[0], "versions") == 0) {
        NEED(2);
        if (strcmp(f[1], "v2") == 0) {
            versions = OTRL_POLICY_ALLOW_V2;
        } else if (strcmp(f[1], "v3") == 0) {
            versions = OTRL_POLICY_ALLOW_V3;
        } else if (strcmp(f[1], "both") == 0) {
            versions = OTRL_POLICY_ALLOW_V2 | OTRL_POLICY_ALLOW_V3;
        } else {
            reply_err("versions: v2, v3 or both", 0);
            return;
        }
        reply_ok();
    } else if (strcmp(f[0], "whitespace") == 0) {
        NEED(2);
        if (parse_flag(f[1], OTRL_POLICY_SEND_WHITESPACE_TAG)) {
            reply_err("whitespace: 0 or 1", 0);
        } else {
            reply_ok();
        }
    } else if (strcmp(f[0], "require") == 0) {
        NEED(2);
        if (parse_flag(f[1], OTRL_POLICY_REQUIRE_ENCRYPTION)) {
            reply_err("require: 0 or 1", 0);
        } else {
            reply_ok();
        }
    } else if (strcmp(f[0], "max-size") == 0) {
        char *end = NULL;
        long v;
        NEED(2);
        errno = 0;
        v = strtol(f[1], &end, 10);
        if (errno || !end || *end || v < 0 || v > 1000000) {
            reply_err("max-size: a number of bytes", 0);
        } else {
            max_size = (int)v;
            reply_ok();
        }
    } else if (strcmp(f[0], "send") == 0) {
        NEED(3);
        cmd_send(f[1], a);
    } else if (strcmp(f[0], "recv") == 0) {
        NEED(3);
        cmd_recv(f[1], a);
    } else if (strcmp(f[0], "query") == 0) {
        NEED(2);
        cmd_send(f[1], "?OTR?");
    } else if (strcmp(f[0], "end") == 0) {
        NEED(2);
        otrl_message_disconnect_all_instances(us, &ops, NULL, account,
            protocol, f[1]);
        reply_ok();
    } else if (strcmp(f[0], "smp") == 0) {
        if (n != 3 && n != 4) {
            reply_err("wrong number of arguments", 0);
        } else {
            cmd_smp(f[1], a, b, 1);
        }
    } else if (strcmp(f[0], "smp-respond") == 0) {
        NEED(3);
        cmd_smp(f[1], a, NULL, 0);
    } else if (strcmp(f[0], "smp-abort") == 0) {
        NEED(2);
        cmd_smp_abort(f[1]);
    } else if (strcmp(f[0], "state") == 0) {
        NEED(2);
        cmd_state(f[1]);
    } else if (strcmp(f[0], "peer-fingerprint") == 0) {
        NEED(2);
        cmd_peer_fingerprint(f[1]);
    } else if (strcmp(f[0], "known-fingerprints") == 0) {
        NEED(2);
        cmd_known_fingerprints(f[1]);
    } else if (strcmp(f[0], "trust") == 0 || strcmp(f[0], "untrust") == 0) {
        NEED(3);
        cmd_trust(f[1], f[2], strcmp(f[0], "trust") == 0);
    } else if (strcmp(f[0], "write-fingerprints") == 0) {
        gcry_error_t err;
        NEED(1);
        err = otrl_privkey_write_fingerprints(us, fingerprints_path);
        if (err) {
            reply_err("writing otr.fingerprints", err);
        } else {
            reply_ok();
        }
    } else if (strcmp(f[0], "poll") == 0) {
        NEED(1);
        otrl_message_poll(us, &ops, NULL);
        reply_ok();
    } else {
        reply_err("unknown request", 0);
    }
}

static void dispatch(char *line)
{
    char *f[4];
    int n = split(line, f, 4);
    char *a = NULL, *b = NULL;

    if (n == 0) {
        reply_err("empty request", 0);
        return;
    }
    if ((strcmp(f[0], "send") == 0 || strcmp(f[0], "recv") == 0 ||
            strcmp(f[0], "smp") == 0 || strcmp(f[0], "smp-respond") == 0) &&
        n >= 3 && n <= 4) {
        a = unhex(f[2]);
        b = n == 4 ? unhex(f[3]) : NULL;
        if (!a || (n == 4 && !b)) {
            reply_err("a text argument is not hex (or \"-\") of a text "
                      "without NUL bytes", 0);
            free(a);
            free(b);
            return;
        }
    }
    run(f, n, a, b);
    free(a);
    free(b);
}

int main(int argc, char **argv)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;

    if (argc != 4) {
        fprintf(stderr, "usage: %s ACCOUNT PROTOCOL DIR\n", argv[0]);
        return 2;
    }
    account = argv[1];
    protocol = argv[2];
    key_path = path_in(argv[3], "otr.private_key");
    fingerprints_path = path_in(argv[3], "otr.fingerprints");
    instags_path = path_in(argv[3], "otr.instance_tags");

    OTRL_INIT;
    us = otrl_userstate_create();
    /* Line-buffered output: the harness reads a reply as soon as it ends. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("ready %s\n", OTRL_VERSION);

    while ((len = getline(&line, &cap, stdin)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
            line[--len] = '\0';
        }
        if (strcmp(line, "quit") == 0) break;
        poll_if_due();
        dispatch(line);
        fflush(stdout);
    }
    free(line);
    otrl_userstate_free(us);
    return 0;
}
