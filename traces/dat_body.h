/* An event's body ("INFO": what `trace-cmd report` prints after "name: ") without
 * libtraceevent's printf engine, for print fmts that are only literals and plain field
 * conversions, e.g. the probe events' "(%lx) pfn=0x%Lx", REC->__probe_ip, REC->pfn.
 *
 * Why: tep_print_event() was ~70% of the trace.dat decoder's time (vfprintf per field, twice).
 * Anything outside the small grammar below gets no template and keeps libtraceevent's print;
 * dat_backend.c also compares the template's output with libtraceevent's on each event's first
 * records and drops the template at the first difference (docs/replay.md, "trace.dat"). */
#ifndef UNPOP_TRACES_DAT_BODY_H
#define UNPOP_TRACES_DAT_BODY_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {

#endif

struct tep_handle;
struct tep_event;
struct tep_record;
struct tep_format_field;

struct unpop_body_tmpl;

struct unpop_body {
  char *p; /* NUL-terminated */
  size_t len, cap;
};

/* Room for `extra` more bytes and a NUL after len. 0, or -1 without memory. */
int unpop_body_reserve(struct unpop_body *b, size_t extra);
/* v appended without printf (one call per field of every record): hex digits after
 * hex_prefix ("0x", or "" for %x), or with hex_prefix NULL decimal, signed (sign-extended
 * from `size` bytes) or not. NUL-terminated. 0, or -1 without memory. */
int unpop_body_put_number(struct unpop_body *b, unsigned long long v, int size, int is_signed,
                          const char *hex_prefix);

/* Where field f's bytes lie in record r: a __data_loc/__rel_loc field's (offset, length) word
 * decoded, else the field's own offset and size. 0, or -1 when they are not all inside r. */
int unpop_field_span(struct tep_handle *tep, const struct tep_record *r,
                     const struct tep_format_field *f, int *off, int *len);

/* The template of ev's print fmt, or NULL when the fmt is outside the grammar: literal text
 * (escapes \" \\ \n \t), conversions %[l|ll|L](u|d|i|x) of a scalar field whose size and
 * signedness the conversion prints unchanged, and %s of a string field (__get_str or a char
 * array). No flags, width, precision, %%, helper (__print_symbolic, ...) or expression. */
struct unpop_body_tmpl *unpop_body_compile(struct tep_handle *tep, struct tep_event *ev);
void unpop_body_free(struct unpop_body_tmpl *t);

/* Formats r's body into *out. 0: done; -1: a field lies outside the record or no memory (the
 * caller prints with libtraceevent instead). */
int unpop_body_format(const struct unpop_body_tmpl *t, struct tep_handle *tep,
                      const struct tep_record *r, struct unpop_body *out);

#ifdef __cplusplus
}
#endif

#endif
