/* SPDX-License-Identifier: MIT */
/*
 * A/B slot backends: one table of operations per backend (struct
 * sw_slot_ops, versioned), listed in one registry, so the update pipeline
 * never names a backend. The first backend is `dir` (two directories and a
 * `current` symlink switched atomically); a `block` backend (partitions or
 * image files, bootloader selection, boot counting) must fit the same table
 * later. The backend owns what is on disk; which update is in which slot,
 * and every state transition, is the update module's and the store's.
 */
#ifndef SLIPWAY_SLOT_H
#define SLIPWAY_SLOT_H

#include <slipway/config.h>
#include <slipway/error.h>

#include <stdbool.h>
#include <stdint.h>

#define SW_SLOT_OPS_VERSION 1

enum sw_slot_id {
    SW_SLOT_A = 0,
    SW_SLOT_B = 1,
};
#define SW_SLOT_COUNT 2

/* "a" / "b"; the names the store and the configuration use. */
const char *sw_slot_id_to_string(enum sw_slot_id id);
int sw_slot_id_from_string(const char *s, enum sw_slot_id *ret_id);
static inline enum sw_slot_id
sw_slot_other(enum sw_slot_id id)
{
    return id == SW_SLOT_A ? SW_SLOT_B : SW_SLOT_A;
}

/* How a payload reaches a slot. */
enum sw_slot_write_kind {
    SW_SLOT_WRITE_TREE = 0,  /* a directory to extract a tree bundle into */
    SW_SLOT_WRITE_IMAGE = 1, /* a descriptor to write a filesystem image to (block) */
};

/*
 * Where to write, from open_writer; valid until finish succeeds or abort.
 * The descriptors belong to the backend: the caller neither closes them
 * nor keeps them. path is borrowed from the backend.
 */
struct sw_slot_writer {
    enum sw_slot_write_kind kind;
    int dirfd;        /* TREE: the (empty) root of the slot's tree, O_DIRECTORY; else -1 */
    const char *path; /* TREE: that directory's path, for messages and hooks */
    int fd;           /* IMAGE: the device or image file, for writing; else -1 */
    /*
     * IMAGE: the signed length and SHA-256 of the image, zero from
     * open_writer; the caller sets them before finish so the backend can
     * read the slot back against them. TREE: unused.
     */
    uint64_t image_length;
    unsigned char image_sha256[32];
};

/* What the backend knows of one slot, read from the system. */
struct sw_slot_info {
    enum sw_slot_id id;
    const char *path; /* root of the slot's tree (dir: the directory; block: a mount); borrowed */
    bool present;     /* the slot exists and is usable */
    bool empty;       /* holds nothing */
    bool complete;    /* finished and not prepared since (what verify checks, cheaply) */
    bool active;      /* what runs now (dir: what `current` points to, even if missing) */
    bool next_boot;   /* what will run after the next boot (dir: same as active) */
    int health;       /* SW_SLOT_HEALTH_* as marked by the backend, if it keeps marks */
};

enum sw_slot_health {
    SW_SLOT_HEALTH_UNKNOWN = 0,
    SW_SLOT_HEALTH_GOOD = 1,
    SW_SLOT_HEALTH_BAD = 2,
};

struct sw_slot_backend; /* an opened backend: its ops and its state */

/*
 * The operations of a backend. Every one returns 0 or -SW_E_*, fills err,
 * and is safe to call again after a crash at any point (idempotent), since
 * the update module's recovery may repeat the step that was interrupted.
 * Test builds place SW_FAULT points before every fsync, rename and switch.
 */
struct sw_slot_ops {
    unsigned version; /* SW_SLOT_OPS_VERSION */
    const char *name; /* "dir", as in the configuration's slot-backend */

    /* Open the backend for cfg (borrowed, outlives the backend). */
    int (*open)(const struct sw_config *cfg, void **ret_state, struct sw_error *err);
    void (*close)(void *state);

    /* What the system says about slot id (never the store); a broken `current` is not an error. */
    int (*info)(void *state, enum sw_slot_id id, struct sw_slot_info *ret_info,
                struct sw_error *err);
    /* The active slot, read from the system; -SW_E_SLOT when none is (first install). */
    int (*active)(void *state, enum sw_slot_id *ret_id, struct sw_error *err);

    /*
     * Make slot id (never the active one) empty and ready to be written; it
     * stops being complete before anything of it is removed.
     */
    int (*prepare)(void *state, enum sw_slot_id id, struct sw_error *err);
    int (*open_writer)(void *state, enum sw_slot_id id, enum sw_slot_write_kind kind,
                       struct sw_slot_writer *ret_writer, struct sw_error *err);
    /*
     * Make what was written durable (dir: one syncfs of the slot's file
     * system) and only then count the slot complete. On success the writer
     * is closed; on failure it stays open for abort.
     */
    int (*finish)(void *state, enum sw_slot_id id, struct sw_slot_writer *w, struct sw_error *err);
    /* Give up a writer (NULL after a crash): close it and empty the slot. */
    int (*abort)(void *state, enum sw_slot_id id, struct sw_slot_writer *w, struct sw_error *err);
    /* Check the slot still holds what was finished (block: read back against a hash). */
    int (*verify)(void *state, enum sw_slot_id id, struct sw_error *err);

    /*
     * Switch to slot id atomically, only if it is complete (dir: new link,
     * rename over `current`, fsync the directory; at once, so active names
     * it on return). A backend that needs a reboot selects the next boot
     * instead: info's next_boot names id, active still the running slot
     * until the reboot, and the bootloader falls back by itself if id
     * fails to come up (boot counting). Activating the active slot again
     * is allowed: it is how a repeated switch completes.
     */
    int (*activate)(void *state, enum sw_slot_id id, struct sw_error *err);
    /*
     * Record a verdict on a slot: GOOD (only on a complete slot) commits it
     * (block: reset the boot counter, make the selection permanent); BAD
     * keeps it from being chosen (block: the bootloader env); UNKNOWN
     * clears the mark. dir keeps marks in a file beside the slot; prepare
     * resets them.
     */
    int (*mark)(void *state, enum sw_slot_id id, enum sw_slot_health health, struct sw_error *err);
};

/* The registry: the backend named `name`, or NULL. */
const struct sw_slot_ops *sw_slot_ops_find(const char *name);
/* Every backend, NULL-terminated (for --help and docs). */
const struct sw_slot_ops *const *sw_slot_ops_all(void);

/*
 * Open the backend cfg->slot_backend names (cfg borrowed, must outlive the
 * backend); an unknown name or a table of another version is
 * -SW_E_UNSUPPORTED. Free with sw_slot_close() (NULL is a no-op). The
 * wrappers below check the slot id, and refuse prepare, open_writer and
 * abort on the active slot; the backend refuses activate of a slot that is
 * not complete.
 */
int sw_slot_open(const struct sw_config *cfg, struct sw_slot_backend **ret_backend,
                 struct sw_error *err);
void sw_slot_close(struct sw_slot_backend *b);
const struct sw_slot_ops *sw_slot_backend_ops(const struct sw_slot_backend *b);

int sw_slot_info(struct sw_slot_backend *b, enum sw_slot_id id, struct sw_slot_info *ret_info,
                 struct sw_error *err);
int sw_slot_active(struct sw_slot_backend *b, enum sw_slot_id *ret_id, struct sw_error *err);
int sw_slot_prepare(struct sw_slot_backend *b, enum sw_slot_id id, struct sw_error *err);
int sw_slot_open_writer(struct sw_slot_backend *b, enum sw_slot_id id, enum sw_slot_write_kind kind,
                        struct sw_slot_writer *ret_writer, struct sw_error *err);
int sw_slot_finish(struct sw_slot_backend *b, enum sw_slot_id id, struct sw_slot_writer *w,
                   struct sw_error *err);
int sw_slot_abort(struct sw_slot_backend *b, enum sw_slot_id id, struct sw_slot_writer *w,
                  struct sw_error *err);
int sw_slot_verify(struct sw_slot_backend *b, enum sw_slot_id id, struct sw_error *err);
int sw_slot_activate(struct sw_slot_backend *b, enum sw_slot_id id, struct sw_error *err);
int sw_slot_mark(struct sw_slot_backend *b, enum sw_slot_id id, enum sw_slot_health health,
                 struct sw_error *err);

#endif
