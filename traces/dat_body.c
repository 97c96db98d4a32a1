/* Event bodies from a compiled print fmt. See dat_body.h. */
#include "traces/dat_body.h"

#include <stdlib.h>
#include <string.h>
#include <trace-cmd/trace-cmd.h>

/* One step: literal text, then (unless conv is 0) one field printed with conv. */
struct op {
  size_t lit_off, lit_len; /* into tmpl->lit */
  char conv;               /* 'x' hex digits, 'u' unsigned, 'd' signed decimal, 's' string, 0 */
  struct tep_format_field *f;
};

struct unpop_body_tmpl {
  char *lit;
  size_t nops;
  struct op ops[];
};

/* Does conversion `conv` with length modifier `mod` ("", "l", "ll", "L") print f's value as it
 * is stored? libtraceevent casts the value to the modifier's type (int, long, long long), so
 * the sizes must agree, and %d must meet a signed field (u/x an unsigned one). */
static int conv_fits(struct tep_handle *tep, const struct tep_format_field *f, char conv,
                     const char *mod) {
  if (f->flags & (TEP_FIELD_IS_ARRAY | TEP_FIELD_IS_DYNAMIC | TEP_FIELD_IS_STRING)) return 0;
  int is_signed = (f->flags & TEP_FIELD_IS_SIGNED) != 0;
  if ((conv == 'd') != is_signed) return 0;
  int size = f->size;
  if (!*mod) return is_signed ? size == 4 : (size == 1 || size == 2 || size == 4);
  if (!strcmp(mod, "l")) return size == tep_get_long_size(tep) && (size == 4 || size == 8);
  return size == 8; /* ll, L */
}

/* The field an argument prints (a parsed fmt may leave the pointer unresolved: by name then). */
static struct tep_format_field *named(struct tep_event *ev, struct tep_format_field *f,
                                      const char *name) {
  return f ? f : name ? tep_find_field(ev, name) : NULL;
}

static struct tep_format_field *arg_field(struct tep_event *ev, struct tep_print_arg *a,
                                          char conv) {
  if (a->type == TEP_PRINT_FIELD) {
    struct tep_format_field *f = named(ev, a->field.field, a->field.name);
    if (conv != 's' || !f) return f;
    return (f->flags & TEP_FIELD_IS_STRING) && !(f->flags & TEP_FIELD_IS_DYNAMIC) ? f : NULL;
  }
  if (a->type == TEP_PRINT_STRING && conv == 's') {
    struct tep_format_field *f = named(ev, a->string.field, a->string.string);
    return f && (f->flags & TEP_FIELD_IS_DYNAMIC) ? f : NULL;
  }
  return NULL;
}

/* Parses "%[mod]conv" at *p (just after the '%'); 0 when outside the grammar. */
static char parse_conv(const char **p, char mod[3]) {
  const char *q = *p;
  size_t m = 0;
  if (q[0] == 'l' && q[1] == 'l') m = 2;
  else if (q[0] == 'l' || q[0] == 'L') m = 1;
  memcpy(mod, q, m);
  mod[m] = '\0';
  q += m;
  char c = *q;
  if (c == 'i') c = 'd';
  if (c != 'u' && c != 'd' && c != 'x' && c != 's') return 0;
  if (c == 's' && m) return 0;
  *p = q + 1;
  return c;
}

struct unpop_body_tmpl *unpop_body_compile(struct tep_handle *tep, struct tep_event *ev) {
  const char *fmt = ev->print_fmt.format;
  if (!fmt) return NULL;
  size_t nconv = 0;
  for (const char *s = fmt; *s; s++) nconv += *s == '%';
  struct unpop_body_tmpl *t = calloc(1, sizeof *t + (nconv + 1) * sizeof t->ops[0]);
  char *lit = malloc(strlen(fmt) + 1);
  if (!t || !lit) goto fail;
  t->lit = lit;
  size_t n = 0, start = 0;
  struct tep_print_arg *a = ev->print_fmt.args;
  for (const char *s = fmt; *s;) {
    if (*s == '\\') {
      const char e = s[1];
      if (e != '"' && e != '\\' && e != 'n' && e != 't') goto fail;
      lit[n++] = e == 'n' ? '\n' : e == 't' ? '\t' : e;
      s += 2;
      continue;
    }
    if (*s != '%') {
      lit[n++] = *s++;
      continue;
    }
    s++;
    char mod[3];
    char conv = parse_conv(&s, mod);
    if (!conv || !a) goto fail;
    struct tep_format_field *f = arg_field(ev, a, conv);
    if (!f || (conv != 's' && !conv_fits(tep, f, conv, mod))) goto fail;
    t->ops[t->nops++] = (struct op){start, n - start, conv, f};
    start = n;
    a = a->next;
  }
  if (a) goto fail; /* an argument the fmt does not print */
  t->ops[t->nops++] = (struct op){start, n - start, 0, NULL};
  lit[n] = '\0';
  return t;
fail:
  free(lit);
  free(t);
  return NULL;
}

void unpop_body_free(struct unpop_body_tmpl *t) {
  if (!t) return;
  free(t->lit);
  free(t);
}

int unpop_body_reserve(struct unpop_body *b, size_t extra) {
  if (b->len + extra + 1 <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + extra + 1) cap *= 2;
  char *p = realloc(b->p, cap);
  if (!p) return -1;
  b->p = p;
  b->cap = cap;
  return 0;
}

static int put(struct unpop_body *b, const char *s, size_t n) {
  if (unpop_body_reserve(b, n) < 0) return -1;
  memcpy(b->p + b->len, s, n);
  b->len += n;
  return 0;
}

int unpop_field_span(struct tep_handle *tep, const struct tep_record *r,
                     const struct tep_format_field *f, int *off, int *len) {
  long long o = f->offset, n = f->size;
  if (f->flags & TEP_FIELD_IS_DYNAMIC) {
    const int w = f->size < 4 ? f->size : 4; /* the (offset, length) word */
    if (w != 1 && w != 2 && w != 4) return -1;
    if (f->offset < 0 || f->offset > r->size || w > r->size - f->offset) return -1;
    unsigned long long loc = tep_read_number(tep, (const char *)r->data + f->offset, w);
    o = (long long)(loc & 0xffff);
    n = (long long)((loc >> 16) & 0xffff);
    if (f->flags & TEP_FIELD_IS_RELATIVE) o += (long long)f->offset + f->size;
  }
  if (o < 0 || n < 0 || o > r->size || n > r->size - o) return -1;
  *off = (int)o;
  *len = (int)n;
  return 0;
}

static unsigned long long sign_extend(unsigned long long v, int size) {
  if (size >= 8) return v;
  unsigned long long sign = 1ULL << (size * 8 - 1);
  return (v ^ sign) - sign;
}

int unpop_body_put_number(struct unpop_body *b, unsigned long long v, int size, int is_signed,
                          const char *hex_prefix) {
  char tmp[24];
  char *e = tmp + sizeof tmp, *q = e;
  if (hex_prefix) {
    do { *--q = "0123456789abcdef"[v & 15]; v >>= 4; } while (v);
    if (put(b, hex_prefix, strlen(hex_prefix)) < 0) return -1;
  } else {
    int neg = 0;
    if (is_signed) {
      long long sv = (long long)sign_extend(v, size);
      if (sv < 0) { neg = 1; v = 0ULL - (unsigned long long)sv; }
    }
    do { *--q = (char)('0' + v % 10); v /= 10; } while (v);
    if (neg) *--q = '-';
  }
  if (put(b, q, (size_t)(e - q)) < 0) return -1;
  b->p[b->len] = '\0';
  return 0;
}

/* A string field's bytes up to its NUL (as %s prints them). */
static int put_str(struct unpop_body *b, struct tep_handle *tep, const struct tep_record *r,
                   const struct tep_format_field *f) {
  int off, len;
  if (unpop_field_span(tep, r, f, &off, &len) < 0) return -1;
  const char *s = (const char *)r->data + off;
  const char *nul = memchr(s, '\0', (size_t)len);
  return put(b, s, nul ? (size_t)(nul - s) : (size_t)len);
}

/* A scalar field as conv prints it (conv_fits: a size of 1, 2, 4 or 8). */
static int put_num(struct unpop_body *b, struct tep_handle *tep, const struct tep_record *r,
                   const struct tep_format_field *f, char conv) {
  int off, len;
  if (unpop_field_span(tep, r, f, &off, &len) < 0 || len <= 0) return -1;
  unsigned long long v = tep_read_number(tep, (const char *)r->data + off, len);
  return unpop_body_put_number(b, v, len, conv == 'd', conv == 'x' ? "" : NULL);
}

int unpop_body_format(const struct unpop_body_tmpl *t, struct tep_handle *tep,
                      const struct tep_record *r, struct unpop_body *out) {
  out->len = 0;
  for (size_t i = 0; i < t->nops; i++) {
    const struct op *o = &t->ops[i];
    if (put(out, t->lit + o->lit_off, o->lit_len) < 0) return -1;
    if (!o->conv) continue;
    int rc = o->conv == 's' ? put_str(out, tep, r, o->f) : put_num(out, tep, r, o->f, o->conv);
    if (rc < 0) return -1;
  }
  if (unpop_body_reserve(out, 0) < 0) return -1;
  out->p[out->len] = '\0';
  return 0;
}
