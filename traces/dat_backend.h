/* The only interface to libtracecmd/libtraceevent. Plain C: <trace-cmd.h> does not compile as
 * C++ (tracefs.h passes ints where enums are expected), so dat_backend.c (with dat_body.c, its
 * body templates) is the one file that includes it. Everything returned points into the handle and is valid until the next call. */
#ifndef UNPOP_TRACES_DAT_BACKEND_H
#define UNPOP_TRACES_DAT_BACKEND_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct unpop_dat;

struct unpop_dat_record {
  int cpu;
  unsigned long long ts;      /* ns, as libtracecmd reports it (offsets applied) */
  int pid;
  const char *comm;           /* "<...>" if the file has no comm for pid */
  const char *system;         /* "" if the event id is unknown */
  const char *name;
  const char *flags;          /* latency flags as tep prints them ("d..1."), may be "" */
  const char *info;           /* the event as `trace-cmd report` prints it (after "name: ") */
  long long missed_events;    /* >0: that many lost before this record; <0: an unknown number */
  int has_probe_ip, has_probe_func, has_probe_ret_ip;
  unsigned long long probe_ip, probe_func, probe_ret_ip;
  /* Symbols from the file's kallsyms, NULL when unknown (uprobes, no kallsyms). */
  const char *probe_ip_sym, *probe_func_sym, *probe_ret_ip_sym;
  unsigned long long probe_ip_off, probe_ret_ip_off;
  int unknown_event;          /* no format for the record's event id */
  size_t nr_fields;
  const char *const *keys;    /* non-common fields, format order, __probe_* excluded */
  const char *const *values;  /* C notation: 0x hex / decimal / "quoted" / {a,b} arrays */
};

/* Opens and checks a trace.dat. NULL on failure with a message in errbuf. */
struct unpop_dat *unpop_dat_open(const char *path, char *errbuf, size_t errlen);
void unpop_dat_close(struct unpop_dat *d);

/* 1: *out holds the next record in timestamp order (ties: lower CPU first, as trace-cmd
 * report). 0: end. -1: error, message in errbuf. */
int unpop_dat_next(struct unpop_dat *d, struct unpop_dat_record *out, char *errbuf,
                   size_t errlen);

/* Sizes as the file declares them, for the completeness check done at the end. */
int unpop_dat_cpus(const struct unpop_dat *d);

/* Tests: compare every templated body (dat_body.h) with libtraceevent's print, a difference
 * being an error of unpop_dat_next(); how many bodies came from templates. */
void unpop_dat_check_bodies(struct unpop_dat *d, int on);
unsigned long long unpop_dat_templated(const struct unpop_dat *d);

#ifdef __cplusplus
}
#endif

#endif
