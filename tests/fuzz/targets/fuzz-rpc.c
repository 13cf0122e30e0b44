/* SPDX-License-Identifier: MIT */
/*
 * fuzz-rpc.c - libFuzzer target for the RPC input path (proto/frame.c and the
 * generated synack.pb-c.c): arbitrary bytes go through the incremental frame
 * decoder in chunks whose sizes come from the input itself, and every frame
 * that comes out is unpacked as a ClientMessage and as a ServerMessage under
 * the bounded allocator. A message that unpacks is packed again, and the
 * allocator must always end at zero (nothing leaks on any error path).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "synack.pb-c.h"

#define FUZZ_MAX_FRAME 4096
#define FUZZ_ALLOC_CAP (4 * FUZZ_MAX_FRAME + 4096)

#define CHECK(x)                 \
	do {                     \
		if (!(x))        \
			abort(); \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Pack what unpacked and unpack it again. protobuf-c keeps unknown fields
 * (even malformed ones, such as field number 0) and writes them back, so the
 * second unpack may refuse what the first kept: only balance is required.
 */
static void fuzz_repack(const ProtobufCMessage *m, const ProtobufCMessageDescriptor *desc)
{
	struct frame_alloc a;
	ProtobufCMessage *again;
	uint8_t *buf;
	size_t len;

	if (frame_pack(m, 4 * FUZZ_MAX_FRAME, &buf, &len) < 0)
		return; /* an empty message (all defaults) packs to nothing */
	CHECK(len - FRAME_HEADER_SIZE == protobuf_c_message_get_packed_size(m));
	frame_alloc_init(&a, FUZZ_ALLOC_CAP * 2);
	if (frame_unpack(desc, buf + FRAME_HEADER_SIZE, len - FRAME_HEADER_SIZE, &a, &again) == 0)
		frame_unpacked_free(again, &a);
	CHECK(a.used == 0);
	free(buf);
}

static void fuzz_unpack(const uint8_t *f, size_t len, const ProtobufCMessageDescriptor *desc)
{
	struct frame_alloc a;
	ProtobufCMessage *m;

	frame_alloc_init(&a, FUZZ_ALLOC_CAP);
	if (frame_unpack(desc, f, len, &a, &m) == 0) {
		fuzz_repack(m, desc);
		frame_unpacked_free(m, &a);
	}
	CHECK(a.used == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frame_decoder d;
	const uint8_t *in, *f;
	size_t in_len, flen, chunk;
	int r = 0;

	if (size < 1)
		return 0;
	/* the first byte picks the read size, so partial reads are exercised */
	chunk = (size_t)data[0] % 17 + 1;
	data++;
	size--;

	frame_decoder_init(&d, FUZZ_MAX_FRAME);
	while (size > 0 && r >= 0) {
		in_len = size < chunk ? size : chunk;
		in = data;
		while ((r = frame_decoder_next(&d, &in, &in_len, &f, &flen)) == 1) {
			CHECK(flen > 0 && flen <= FUZZ_MAX_FRAME);
			fuzz_unpack(f, flen, &synack__v1__client_message__descriptor);
			fuzz_unpack(f, flen, &synack__v1__server_message__descriptor);
		}
		if (r == 0)
			CHECK(in_len == 0);
		size -= (size_t)(in - data);
		data = in;
	}
	frame_decoder_deinit(&d);
	return 0;
}
