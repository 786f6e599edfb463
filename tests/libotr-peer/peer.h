/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/* Shared by peer.c (the line protocol and the requests) and ops.c (the
 * libotr callbacks). */

#ifndef SOTTO_LIBOTR_PEER_H
#define SOTTO_LIBOTR_PEER_H

/* getline, strtok_r; before any system header. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <gcrypt.h>
/* libotr's headers depend on each other's types: proto.h goes first. */
#include <libotr/proto.h>
#include <libotr/context.h>
#include <libotr/instag.h>
#include <libotr/message.h>
#include <libotr/privkey.h>
#include <libotr/tlv.h>
#include <libotr/userstate.h>

/* The one account this process is. */
extern OtrlUserState us;
extern const char *account;
extern const char *protocol;
extern char *key_path;
extern char *fingerprints_path;
extern char *instags_path;

/* The policy is versions | extra_policy. */
extern OtrlPolicy versions;
extern OtrlPolicy extra_policy;
extern int max_size;

/* timer_control: 0 when off, else the interval and the next due time. */
extern unsigned int timer_interval;
extern time_t timer_due;

/* Set by handle_smp_event on CHEATED/ERROR: abort like Pidgin does, once
 * libotr has returned. */
extern ConnContext *smp_to_abort;

extern OtrlMessageAppOps ops;

/* Report-line helpers (stdout). */
void put_hex(const unsigned char *bytes, size_t len);
void put_hex_str(const char *s);
void put_fp(const unsigned char raw[20]);

/* Callbacks peer.c calls directly too. */
void op_inject_message(void *opdata, const char *accountname,
    const char *proto, const char *recipient, const char *message);
void op_write_fingerprints(void *opdata);

#endif
