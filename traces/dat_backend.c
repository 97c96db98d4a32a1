/* trace.dat access through libtracecmd/libtraceevent. See dat_backend.h. */
#define _GNU_SOURCE
#include "traces/dat_backend.h"
#include "traces/dat_body.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <trace-cmd/trace-cmd.h>

/* Strings are built in dat_body.h's growing buffer (struct unpop_body), shared with the body
 * templates. */
static int buf_printf(struct unpop_body *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int buf_printf(struct unpop_body *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || unpop_body_reserve(b, (size_t)n) < 0) return -1;
  va_start(ap, fmt);
  vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return 0;
}

static int buf_putc(struct unpop_body *b, char c) {
  if (unpop_body_reserve(b, 1) < 0) return -1;
  b->p[b->len++] = c;
  b->p[b->len] = '\0';
  return 0;
}

struct unpop_dat {
  struct tracecmd_input *handle;
  struct tep_handle *tep;
  int cpus;
  struct tep_record **pending; /* next unread record of each CPU */
  struct tep_record *current;  /* the record last returned (freed on the next call) */
  struct trace_seq seq_info;   /* "LATENCY\nINFO" of the current record */
  struct unpop_body strings;   /* every value/key string of the current record, NUL-separated */
  size_t *key_off, *val_off;   /* offsets into strings */
  const char **keys, **values;
  size_t fields_cap;
  int started;
  struct ev_info **info_by_id; /* per event id: the fields to print, looked up once */
  size_t info_cap;
  int last_pid;                /* tep_data_comm_from_pid() of the last record's pid */
  const char *last_comm;
  struct unpop_body body;      /* the current record's body, from its event's template */
  int check_bodies;            /* compare every templated body with libtraceevent's */
  unsigned long long templated;
};

/* What unpop_dat_next() needs of an event's format, worked out at its first record. */
enum { F_PLAIN = 0, F_PROBE_IP, F_PROBE_FUNC, F_PROBE_RET_IP };
struct ev_field {
  struct tep_format_field *f;
  int kind;    /* F_PLAIN or one of the probe fields */
  int hex;     /* printed_hex() of the print fmt */
  size_t name_len;
};
#define LAT_KEY_MAX 32
struct ev_info {
  struct tep_event *ev;
  /* The latency flags libtraceevent prints depend only on the common fields other than
   * common_type and common_pid (flags, preempt count, migrate-disable, ...): their bytes in the
   * last record printed and the flags printed for them. */
  int lat_cacheable;          /* the common fields are known and fit in lat_key */
  int lat_valid;
  size_t lat_key_len;
  unsigned char lat_key[LAT_KEY_MAX];
  char lat[32];
  int key_off[8], key_size[8], nkeys;
  struct unpop_body_tmpl *tmpl; /* NULL: libtraceevent prints the body */
  int tmpl_checks;              /* records still to compare with libtraceevent's print */
  size_t n;
  struct ev_field fields[];
};

/* Each event's template is compared with libtraceevent's print on this many records first. */
#define TMPL_CHECKS 16

static void free_info(struct ev_info *ei) {
  if (!ei) return;
  unpop_body_free(ei->tmpl);
  free(ei);
}

static void set_err(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *errbuf, size_t errlen, const char *fmt, ...) {
  if (!errbuf || errlen == 0) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(errbuf, errlen, fmt, ap);
  va_end(ap);
}

struct unpop_dat *unpop_dat_open(const char *path, char *errbuf, size_t errlen) {
  tracecmd_set_loglevel(TEP_LOG_NONE);
  tep_set_loglevel(TEP_LOG_NONE);
  FILE *f = fopen(path, "rb");
  if (!f) {
    set_err(errbuf, errlen, "cannot open: %s", strerror(errno));
    return NULL;
  }
  unsigned char magic[10];
  size_t got = fread(magic, 1, sizeof magic, f);
  fclose(f);
  if (got < sizeof magic || memcmp(magic, "\x17\x08\x44tracing", 10) != 0) {
    set_err(errbuf, errlen, "the trace.dat magic \\x17\\x08\\x44tracing at offset 0");
    return NULL;
  }
  struct unpop_dat *d = calloc(1, sizeof *d);
  if (!d) {
    set_err(errbuf, errlen, "memory");
    return NULL;
  }
  /* No plugins: events print with their kernel print fmt, as in tracefs text. errno is
   * cleared first: libtracecmd does not always set it, and a stale value (inherited from the
   * caller's last system call) must not be reported as the reason. */
  errno = 0;
  d->handle = tracecmd_open(path, TRACECMD_FL_LOAD_NO_PLUGINS);
  if (!d->handle) {
    set_err(errbuf, errlen,
            "a complete trace.dat header (libtracecmd could not open it: %s)",
            errno ? strerror(errno) : "format error");
    free(d);
    return NULL;
  }
  d->tep = tracecmd_get_tep(d->handle);
  d->cpus = d->tep ? tep_get_cpus(d->tep) : 0;
  if (!d->tep || d->cpus <= 0 || d->cpus > 8192) {
    set_err(errbuf, errlen, "a CPU count between 1 and 8192 in the header (found %d)", d->cpus);
    tracecmd_close(d->handle);
    free(d);
    return NULL;
  }
  d->pending = calloc((size_t)d->cpus, sizeof *d->pending);
  if (!d->pending) {
    tracecmd_close(d->handle);
    free(d);
    set_err(errbuf, errlen, "memory");
    return NULL;
  }
  trace_seq_init(&d->seq_info);
  return d;
}

void unpop_dat_close(struct unpop_dat *d) {
  if (!d) return;
  if (d->current) tracecmd_free_record(d->current);
  for (int i = 0; i < d->cpus; i++)
    if (d->pending[i]) tracecmd_free_record(d->pending[i]);
  free(d->pending);
  trace_seq_destroy(&d->seq_info);
  free(d->strings.p);
  free(d->key_off);
  free(d->val_off);
  free(d->keys);
  free(d->values);
  for (size_t i = 0; i < d->info_cap; i++) free_info(d->info_by_id[i]);
  free(d->body.p);
  free(d->info_by_id);
  tracecmd_close(d->handle);
  free(d);
}

int unpop_dat_cpus(const struct unpop_dat *d) { return d->cpus; }

void unpop_dat_check_bodies(struct unpop_dat *d, int on) { d->check_bodies = on; }

unsigned long long unpop_dat_templated(const struct unpop_dat *d) { return d->templated; }

/* Reads an unsigned number of `size` bytes at `off` of the record (file endianness),
 * bounds-checked against the record's size. */
static int read_num(struct unpop_dat *d, struct tep_record *r, int off, int size,
                    unsigned long long *val) {
  if (off < 0 || size <= 0 || off > r->size || size > r->size - off) return -1;
  if (size != 1 && size != 2 && size != 4 && size != 8) return -1;
  *val = tep_read_number(d->tep, (const char *)r->data + off, size);
  return 0;
}

/* Is `name`'s value printed in hex by the event's print fmt (`name=0x%lx`, `name=%x`, `%p`)? */
static int printed_hex(const struct tep_event *ev, const char *name) {
  const char *fmt = ev->print_fmt.format;
  if (!fmt) return 0;
  size_t n = strlen(name);
  for (const char *p = strstr(fmt, name); p; p = strstr(p + 1, name)) {
    if (p != fmt && (p[-1] != ' ' && p[-1] != '(' && p[-1] != '"')) continue;
    if (p[n] != '=') continue;
    const char *q = p + n + 1;
    if (q[0] == '0' && (q[1] == 'x' || q[1] == 'X')) return 1;
    if (*q == '{') q++;
    if (*q != '%') return 0;
    q++;
    while (*q && strchr("#0-+ .0123456789hlLqzjt", *q)) q++;
    return *q == 'x' || *q == 'X' || *q == 'p';
  }
  return 0;
}

static int put_string(struct unpop_body *b, const unsigned char *s, size_t len) {
  if (buf_putc(b, '"') < 0) return -1;
  for (size_t i = 0; i < len && s[i]; i++) {
    unsigned char c = s[i];
    int rc;
    if (c == '"' || c == '\\') rc = buf_printf(b, "\\%c", c);
    else if (c < 0x20 || c >= 0x7f) rc = buf_printf(b, "\\x%02x", c);
    else rc = buf_putc(b, (char)c);
    if (rc < 0) return -1;
  }
  return buf_putc(b, '"');
}

/* Formats one field's value into d->strings. -1 on a malformed record. */
static int format_field(struct unpop_dat *d, struct tep_format_field *f, int hex,
                        struct tep_record *r) {
  struct unpop_body *b = &d->strings;
  int off, len;
  if (unpop_field_span(d->tep, r, f, &off, &len) < 0) return -1;
  const unsigned char *p = (const unsigned char *)r->data + off;
  if (f->flags & TEP_FIELD_IS_STRING) return put_string(b, p, (size_t)len);
  if (f->flags & TEP_FIELD_IS_ARRAY) {
    int es = (int)f->elementsize;
    if (es != 1 && es != 2 && es != 4 && es != 8) es = 1;
    if (buf_putc(b, '{') < 0) return -1;
    for (int i = 0; i + es <= len; i += es) {
      unsigned long long v;
      if (read_num(d, r, off + i, es, &v) < 0) return -1;
      if (i && buf_putc(b, ',') < 0) return -1;
      if (unpop_body_put_number(b, v, es, (f->flags & TEP_FIELD_IS_SIGNED) != 0, hex ? "0x" : NULL) < 0)
        return -1;
    }
    return buf_putc(b, '}');
  }
  unsigned long long v;
  if (read_num(d, r, off, len, &v) < 0) return -1;
  return unpop_body_put_number(b, v, len, (f->flags & TEP_FIELD_IS_SIGNED) != 0,
                               hex || (f->flags & TEP_FIELD_IS_POINTER) ? "0x" : NULL);
}

static int add_field_slot(struct unpop_dat *d, size_t i) {
  if (i < d->fields_cap) return 0;
  size_t cap = d->fields_cap ? d->fields_cap * 2 : 16;
  size_t *ko = realloc(d->key_off, cap * sizeof *ko);
  if (!ko) return -1;
  d->key_off = ko;
  size_t *vo = realloc(d->val_off, cap * sizeof *vo);
  if (!vo) return -1;
  d->val_off = vo;
  const char **k = realloc(d->keys, cap * sizeof *k);
  if (!k) return -1;
  d->keys = k;
  const char **v = realloc(d->values, cap * sizeof *v);
  if (!v) return -1;
  d->values = v;
  d->fields_cap = cap;
  return 0;
}

static struct ev_info *event_info(struct unpop_dat *d, struct tep_event *ev) {
  if (ev->id < 0 || ev->id > 0xffff) return NULL;
  size_t id = (size_t)ev->id;
  if (id >= d->info_cap) {
    size_t cap = d->info_cap ? d->info_cap : 64;
    while (cap <= id) cap *= 2;
    struct ev_info **p = realloc(d->info_by_id, cap * sizeof *p);
    if (!p) return NULL;
    memset(p + d->info_cap, 0, (cap - d->info_cap) * sizeof *p);
    d->info_by_id = p;
    d->info_cap = cap;
  }
  struct ev_info *ei = d->info_by_id[id];
  if (ei && ei->ev == ev) return ei;
  free_info(ei);
  d->info_by_id[id] = NULL;
  size_t n = 0;
  for (struct tep_format_field *f = ev->format.fields; f; f = f->next)
    if (f->name) n++;
  ei = malloc(sizeof *ei + n * sizeof ei->fields[0]);
  if (!ei) return NULL;
  ei->ev = ev;
  ei->n = 0;
  ei->lat_valid = 0;
  ei->lat_key_len = 0;
  ei->nkeys = 0;
  ei->tmpl = unpop_body_compile(d->tep, ev);
  ei->tmpl_checks = TMPL_CHECKS;
  ei->lat_cacheable = ev->format.nr_common > 0;
  for (struct tep_format_field *f = ev->format.common_fields; f && ei->lat_cacheable; f = f->next) {
    if (!f->name) { ei->lat_cacheable = 0; break; }
    if (strcmp(f->name, "common_type") == 0 || strcmp(f->name, "common_pid") == 0) continue;
    if (ei->nkeys == 8 || f->offset < 0 || f->size <= 0 ||
        ei->lat_key_len + (size_t)f->size > LAT_KEY_MAX) { ei->lat_cacheable = 0; break; }
    ei->key_off[ei->nkeys] = f->offset;
    ei->key_size[ei->nkeys++] = f->size;
    ei->lat_key_len += (size_t)f->size;
  }
  for (struct tep_format_field *f = ev->format.fields; f; f = f->next) {
    if (!f->name) continue;
    struct ev_field *x = &ei->fields[ei->n++];
    x->f = f;
    x->name_len = strlen(f->name);
    x->kind = strcmp(f->name, "__probe_ip") == 0       ? F_PROBE_IP
              : strcmp(f->name, "__probe_func") == 0   ? F_PROBE_FUNC
              : strcmp(f->name, "__probe_ret_ip") == 0 ? F_PROBE_RET_IP
                                                       : F_PLAIN;
    x->hex = x->kind == F_PLAIN ? printed_hex(ev, f->name) : 0;
  }
  d->info_by_id[id] = ei;
  return ei;
}

/* The bytes of r's common fields that the latency flags depend on, into key. 1 if they could
 * all be read (the flags can be cached under them). */
static int read_lat_key(const struct ev_info *ei, const struct tep_record *r, unsigned char *key) {
  if (!ei->lat_cacheable) return 0;
  size_t kn = 0;
  for (int i = 0; i < ei->nkeys; i++) {
    if (ei->key_off[i] > r->size || ei->key_size[i] > r->size - ei->key_off[i]) return 0;
    memcpy(key + kn, (const char *)r->data + ei->key_off[i], (size_t)ei->key_size[i]);
    kn += (size_t)ei->key_size[i];
  }
  return kn == ei->lat_key_len;
}

/* The latency flags and the body of record r (of event ei) into out. The flags come from the
 * per-event cache when the record's common fields (other than type and pid) are those of the
 * event's last record; the body from the event's template (dat_body.h) when it has one. What
 * is left is printed by libtraceevent in one call (flags, which never hold a newline, a
 * newline, the body). A template's body is compared with libtraceevent's on the event's first
 * TMPL_CHECKS records (all with check_bodies): a difference drops the template (is an error
 * with check_bodies). 1, or -1 with errbuf. */
static int finish_body(struct unpop_dat *d, struct ev_info *ei, struct tep_record *r,
                       struct unpop_dat_record *out, char *errbuf, size_t errlen) {
  unsigned char key[LAT_KEY_MAX];
  int key_ok = read_lat_key(ei, r, key);
  const int cached = key_ok && ei->lat_valid && memcmp(key, ei->lat_key, ei->lat_key_len) == 0;
  const int templ = ei->tmpl && unpop_body_format(ei->tmpl, d->tep, r, &d->body) == 0;
  const int want_info = !templ || d->check_bodies || ei->tmpl_checks > 0;
  const char *lat = cached ? ei->lat : "", *info = "";
  trace_seq_reset(&d->seq_info);
  if (!cached && want_info) {
    tep_print_event(d->tep, &d->seq_info, r, "%s\n%s", TEP_PRINT_LATENCY, TEP_PRINT_INFO);
    trace_seq_terminate(&d->seq_info);
    char *both = d->seq_info.buffer;
    char *nl = both ? strchr(both, '\n') : NULL;
    if (nl) {
      *nl = '\0';
      lat = both;
      info = nl + 1;
    } else {
      info = both ? both : "";
      key_ok = 0;
    }
  } else if (!cached) {
    tep_print_event(d->tep, &d->seq_info, r, "%s", TEP_PRINT_LATENCY);
    trace_seq_terminate(&d->seq_info);
    lat = d->seq_info.buffer ? d->seq_info.buffer : "";
  } else if (want_info) {
    tep_print_event(d->tep, &d->seq_info, r, "%s", TEP_PRINT_INFO);
    trace_seq_terminate(&d->seq_info);
    info = d->seq_info.buffer ? d->seq_info.buffer : "";
  }
  if (!cached) {
    size_t ln = strlen(lat);
    ei->lat_valid = key_ok && ln < sizeof ei->lat;
    if (ei->lat_valid) {
      memcpy(ei->lat, lat, ln + 1);
      memcpy(ei->lat_key, key, ei->lat_key_len);
    }
  }
  out->flags = lat;
  out->info = info;
  if (!templ) return 1;
  if (want_info && strcmp(d->body.p, info) != 0) {
    if (d->check_bodies) {
      set_err(errbuf, errlen, "the body of %s as libtraceevent prints it (\"%s\"), not \"%s\"",
              out->name, info, d->body.p);
      return -1;
    }
    unpop_body_free(ei->tmpl);  /* libtraceevent prints this event from now on */
    ei->tmpl = NULL;
    return 1;
  }
  if (ei->tmpl_checks > 0) ei->tmpl_checks--;
  d->templated++;
  out->info = d->body.p;
  return 1;
}

int unpop_dat_next(struct unpop_dat *d, struct unpop_dat_record *out, char *errbuf,
                   size_t errlen) {
  if (d->current) {
    tracecmd_free_record(d->current);
    d->current = NULL;
  }
  if (!d->started) {
    d->started = 1;
    for (int c = 0; c < d->cpus; c++) d->pending[c] = tracecmd_read_cpu_first(d->handle, c);
  }
  int best = -1;
  for (int c = 0; c < d->cpus; c++)
    if (d->pending[c] && (best < 0 || d->pending[c]->ts < d->pending[best]->ts)) best = c;
  if (best < 0) return 0;
  struct tep_record *r = d->pending[best];
  d->pending[best] = tracecmd_read_data(d->handle, best);
  d->current = r;

  memset(out, 0, sizeof *out);
  out->cpu = best;
  out->ts = r->ts;
  out->missed_events = r->missed_events;
  if (!r->data || r->size < 4) {
    set_err(errbuf, errlen, "an event record of at least 4 bytes on CPU %d (found %d)", best,
            r->size);
    return -1;
  }
  struct tep_event *ev = tep_find_event_by_record(d->tep, r);
  d->strings.len = 0;
  if (unpop_body_reserve(&d->strings, 0) < 0) return -1;
  d->strings.p[0] = '\0';
  out->pid = tep_data_pid(d->tep, r);
  if (!d->last_comm || d->last_pid != out->pid) {
    d->last_pid = out->pid;
    d->last_comm = tep_data_comm_from_pid(d->tep, out->pid);
  }
  out->comm = d->last_comm;
  if (!ev) {
    out->unknown_event = 1;
    out->system = out->name = out->flags = out->info = "";
    return 1;
  }
  out->system = ev->system ? ev->system : "";
  out->name = ev->name ? ev->name : "";

  /* Fields, format order; probe addresses go to the prefix, not the field list. */
  struct ev_info *ei = event_info(d, ev);
  if (!ei) {
    set_err(errbuf, errlen, "memory");
    return -1;
  }
  size_t n = 0;
  for (size_t i = 0; i < ei->n; i++) {
    struct tep_format_field *f = ei->fields[i].f;
    if (ei->fields[i].kind != F_PLAIN) {
      unsigned long long v;
      if (read_num(d, r, f->offset, f->size, &v) < 0) {
        set_err(errbuf, errlen, "field %s inside the %d-byte record of %s", f->name, r->size,
                ev->name);
        return -1;
      }
      if (ei->fields[i].kind == F_PROBE_IP) { out->has_probe_ip = 1; out->probe_ip = v; }
      else if (ei->fields[i].kind == F_PROBE_FUNC) { out->has_probe_func = 1; out->probe_func = v; }
      else { out->has_probe_ret_ip = 1; out->probe_ret_ip = v; }
      continue;
    }
    if (add_field_slot(d, n) < 0) return -1;
    d->key_off[n] = d->strings.len;
    size_t kl = ei->fields[i].name_len;
    if (unpop_body_reserve(&d->strings, kl + 1) < 0) return -1;
    memcpy(d->strings.p + d->strings.len, f->name, kl + 1);
    d->strings.len += kl + 1;
    d->val_off[n] = d->strings.len;
    if (format_field(d, f, ei->fields[i].hex, r) < 0) {
      set_err(errbuf, errlen, "field %s (offset %d, size %d) inside the %d-byte record of %s",
              f->name, f->offset, f->size, r->size, ev->name);
      return -1;
    }
    if (buf_putc(&d->strings, '\0') < 0) return -1;
    n++;
  }
  for (size_t i = 0; i < n; i++) {
    d->keys[i] = d->strings.p + d->key_off[i];
    d->values[i] = d->strings.p + d->val_off[i];
  }
  /* Kernel symbols only for kernel addresses (64-bit: top bit set): a uprobe's user address
   * must not be "found" between two kallsyms entries (x86 per-CPU symbols sit near 0). */
  if (out->has_probe_ip && (out->probe_ip >> 63)) {
    out->probe_ip_sym = tep_find_function(d->tep, out->probe_ip);
    if (out->probe_ip_sym)
      out->probe_ip_off = out->probe_ip - tep_find_function_address(d->tep, out->probe_ip);
  }
  if (out->has_probe_func && (out->probe_func >> 63))
    out->probe_func_sym = tep_find_function(d->tep, out->probe_func);
  if (out->has_probe_ret_ip && (out->probe_ret_ip >> 63)) {
    out->probe_ret_ip_sym = tep_find_function(d->tep, out->probe_ret_ip);
    if (out->probe_ret_ip_sym)
      out->probe_ret_ip_off =
          out->probe_ret_ip - tep_find_function_address(d->tep, out->probe_ret_ip);
  }
  out->nr_fields = n;
  out->keys = d->keys;
  out->values = d->values;

  return finish_body(d, ei, r, out, errbuf, errlen);
}
