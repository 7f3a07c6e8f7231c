#pragma once
/* berthd's event log (issue 14): Docker's events, one JSON object a line
 * in DATA/events.jsonl ({"status","id","from","Type","Action","Actor":
 * {"ID","Attributes"},"scope","time","timeNano"}), appended with one write
 * and fdatasync per line. When it grows past EVENTS_LOG_MAX the oldest
 * half goes (temp file, rename). New events also go to a ring of the last
 * EVENTS_RING lines in memory, which GET /events streams from.
 *
 * The shims write their containers' own events (die, oom, memory-soft)
 * to DATA/containers/ID/events.jsonl (src/shim/shim.h); berthd imports
 * the new lines of each, adding the container's Type and Actor. How far a
 * container's file was imported is kept durably in its dir
 * (EVENTS_IMPORTED), and each imported line of the log carries the end
 * offset of its source line (EVENTS_MARK, never served): at start the
 * greater of the two is where importing resumes, so a line is imported
 * exactly once across any SIGKILL of berthd. */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define EVENTS_LOG_MAX  (8 << 20)
#define EVENTS_RING     1024
#define EVENTS_IMPORTED "events.imported"
#define EVENTS_MARK     "x-berth-import"

struct ctr;

/* Opens the log, imports what every container's shim wrote while berthd
 * was down, then starts the watcher thread (inotify on the containers dir
 * and each container's dir) that imports new lines as they are written.
 * Call before ctr_adopt_all (its events are logged). */
void events_init(void);

/* Logs an event of `type` ("image", "volume", ...) about `id` with the
 * string attributes `attrs` (taken; NULL: none). For "image" the old
 * fields status and id are set as Docker's. */
void events_emit(const char *type, const char *action, const char *id, json_t *attrs);

/* Logs a container event: Actor.Attributes are its name, image and
 * labels plus `attrs` (taken; NULL: none). What its shim wrote and was not
 * imported yet is imported first, so the log keeps the order of what
 * happened (the die before the stop that waited for it). */
void events_container(const struct ctr *c, const char *action, json_t *attrs);

/* Around a request that makes container `id`'s shim write events (a kill
 * that ends it at once): what the shim writes meanwhile is imported only
 * after `action` (NULL: none, the request failed) is logged with `attrs`
 * (taken) and the time `nano` (events_hold's: before the request; 0:
 * now), so a kill's die never comes before its kill. */
long long events_hold(const char *id);
void events_release(const struct ctr *c, const char *action, json_t *attrs, long long nano);

/* Around the start of container `id`'s shim: its die (a command that
 * exits at once) is imported only after the start is logged (`started`)
 * or it failed. */
void events_start_begin(const char *id);
void events_start_end(const struct ctr *c, bool started);

/* The same for the container `ref` names (nothing when it is gone). */
void events_container_ref(const char *ref, const char *action, json_t *attrs);

/* Imports the new lines of container `id`'s shim events now (before its
 * dir goes: ctr_remove). */
void events_import(const char *id);

/* For ctr_adopt_all, before it writes exit.json for a container whose
 * shim died: writes the die the shim could not (exitCode `code`) to the
 * container's events file as the shim would, unless the shim's die of this
 * run is there already (it died between its die and exit.json). */
void events_shim_died(const struct ctr *c, int code);

/* Docker's "exec_create: CMD ARGS" and "exec_start: ..." (`verb`) of the
 * exec instance `eid` of container `cid`, with Attributes execID. */
void events_exec(const char *cid, const char *eid, const char *verb);

/* Image events, the caller holding engine.lock: `action` of the image
 * `ref` names, Attributes.name `ref` (its id with `by_id`, as Docker's
 * load, import and save); nothing when it is unknown. */
void events_image(const char *ref, const char *action, bool by_id);
/* load for each image in the "Loaded image: ..." lines of image_load. */
void events_image_load(json_t *lines);
/* untag and delete for each entry of DELETE /images/NAME's answer `out`
 * (`id`: the image's, resolved before). */
void events_image_removed(const char *id, json_t *out);

/* A reader of the log: the past events (the log file up to `size` as of
 * events_open), then the new ones from the ring after `seq`. */
struct events_cursor {
    FILE *f;       /* the log, NULL once read */
    uint64_t left; /* how much more of it is past events */
    uint64_t seq;  /* the last ring event seen */
    char *line;
    size_t cap;
};
void events_open(struct events_cursor *cur);
/* The next line (caller frees; without the EVENTS_MARK field), waiting
 * until `deadline` (CLOCK_REALTIME; NULL: returns NULL at once when there is
 * none). NULL when none came in time. *ret_lost is set when the reader
 * fell more than EVENTS_RING events behind and missed some. */
char *events_next(struct events_cursor *cur, const struct timespec *deadline, bool *ret_lost);
void events_close(struct events_cursor *cur);
