/* SPDX-License-Identifier: MIT */
/*
 * The slot module's front: the registry of backends (one table each, see
 * src/slot-int.h) and the wrappers the update pipeline calls, which check
 * the table's version once and refuse what no backend may do (writing to
 * the active slot). What is on disk is each backend's; which update is in
 * which slot is the update module's and the store's.
 */
#include "slot-int.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sw_slot_backend {
    const struct sw_slot_ops *ops;
    void *state;
};

static const struct sw_slot_ops *const registry[] = {
    &sw_slot_dir_ops,
    NULL,
};

static const char *const id_names[SW_SLOT_COUNT] = {"a", "b"};

const char *
sw_slot_id_to_string(enum sw_slot_id id)
{
    if ((unsigned)id >= SW_SLOT_COUNT)
        return NULL;
    return id_names[id];
}

int
sw_slot_id_from_string(const char *s, enum sw_slot_id *ret_id)
{
    for (unsigned i = 0; s && i < SW_SLOT_COUNT; i++)
        if (strcmp(s, id_names[i]) == 0) {
            *ret_id = (enum sw_slot_id)i;
            return 0;
        }
    return -SW_E_INVAL;
}

const struct sw_slot_ops *
sw_slot_ops_find(const char *name)
{
    for (size_t i = 0; name && registry[i]; i++)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}

const struct sw_slot_ops *const *
sw_slot_ops_all(void)
{
    return registry;
}

int
sw_slot_open_ops(const struct sw_slot_ops *ops, const struct sw_config *cfg,
                 struct sw_slot_backend **ret_backend, struct sw_error *err)
{
    struct sw_slot_backend *b;
    void *state = NULL;
    int r;

    if (!ops || !cfg)
        return sw_error_set(err, SW_E_INTERNAL, "no slot backend table or configuration");
    if (ops->version != SW_SLOT_OPS_VERSION)
        return sw_error_set(err, SW_E_UNSUPPORTED,
                            "slot backend '%s' has operations version %u, this program needs %u",
                            ops->name ? ops->name : "?", ops->version, SW_SLOT_OPS_VERSION);
    if (!ops->name || !ops->open || !ops->close || !ops->info || !ops->active || !ops->prepare ||
        !ops->open_writer || !ops->finish || !ops->abort || !ops->verify || !ops->activate ||
        !ops->mark)
        return sw_error_set(err, SW_E_INTERNAL, "slot backend '%s' lacks an operation",
                            ops->name ? ops->name : "?");
    b = calloc(1, sizeof(*b));
    if (!b)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    r = ops->open(cfg, &state, err);
    if (r < 0) {
        free(b);
        return r;
    }
    b->ops = ops;
    b->state = state;
    *ret_backend = b;
    return 0;
}

int
sw_slot_open(const struct sw_config *cfg, struct sw_slot_backend **ret_backend,
             struct sw_error *err)
{
    const struct sw_slot_ops *ops;
    const char *name = cfg && cfg->slot_backend ? cfg->slot_backend : "dir";

    ops = sw_slot_ops_find(name);
    if (!ops)
        return sw_error_set(err, SW_E_UNSUPPORTED, "unknown slot backend '%s'", name);
    return sw_slot_open_ops(ops, cfg, ret_backend, err);
}

void
sw_slot_close(struct sw_slot_backend *b)
{
    if (!b)
        return;
    b->ops->close(b->state);
    free(b);
}

const struct sw_slot_ops *
sw_slot_backend_ops(const struct sw_slot_backend *b)
{
    return b->ops;
}

static int
check_id(enum sw_slot_id id, struct sw_error *err)
{
    if ((unsigned)id >= SW_SLOT_COUNT)
        return sw_error_set(err, SW_E_INVAL, "no slot number %d", (int)id);
    return 0;
}

/*
 * Refuse to write to the slot that runs. The backend's own view decides
 * (info's active flag), so a `current` that points to a missing slot still
 * protects that slot; when nothing is active (first install) both may be
 * written.
 */
static int
refuse_active(struct sw_slot_backend *b, enum sw_slot_id id, const char *what, struct sw_error *err)
{
    struct sw_slot_info info;
    int r;

    r = b->ops->info(b->state, id, &info, err);
    if (r < 0) {
        sw_error_prefix(err, "%s slot '%s': ", what, sw_slot_id_to_string(id));
        return r;
    }
    if (info.active)
        return sw_error_set(err, SW_E_SLOT, "refusing to %s slot '%s': it is the active slot", what,
                            sw_slot_id_to_string(id));
    return 0;
}

int
sw_slot_info(struct sw_slot_backend *b, enum sw_slot_id id, struct sw_slot_info *ret_info,
             struct sw_error *err)
{
    int r = check_id(id, err);
    return r < 0 ? r : b->ops->info(b->state, id, ret_info, err);
}

int
sw_slot_active(struct sw_slot_backend *b, enum sw_slot_id *ret_id, struct sw_error *err)
{
    return b->ops->active(b->state, ret_id, err);
}

int
sw_slot_prepare(struct sw_slot_backend *b, enum sw_slot_id id, struct sw_error *err)
{
    int r = check_id(id, err);
    if (r < 0 || (r = refuse_active(b, id, "prepare", err)) < 0)
        return r;
    return b->ops->prepare(b->state, id, err);
}

int
sw_slot_open_writer(struct sw_slot_backend *b, enum sw_slot_id id, enum sw_slot_write_kind kind,
                    struct sw_slot_writer *ret_writer, struct sw_error *err)
{
    int r = check_id(id, err);
    if (r < 0 || (r = refuse_active(b, id, "write to", err)) < 0)
        return r;
    return b->ops->open_writer(b->state, id, kind, ret_writer, err);
}

int
sw_slot_finish(struct sw_slot_backend *b, enum sw_slot_id id, struct sw_slot_writer *w,
               struct sw_error *err)
{
    int r = check_id(id, err);
    if (r < 0)
        return r;
    if (!w)
        return sw_error_set(err, SW_E_INTERNAL, "finishing slot '%s' without a writer",
                            sw_slot_id_to_string(id));
    return b->ops->finish(b->state, id, w, err);
}

int
sw_slot_abort(struct sw_slot_backend *b, enum sw_slot_id id, struct sw_slot_writer *w,
              struct sw_error *err)
{
    int r = check_id(id, err);
    if (r < 0 || (r = refuse_active(b, id, "empty", err)) < 0) {
        /* the writer is given up all the same */
        if (w && w->dirfd >= 0)
            close(w->dirfd);
        if (w && w->fd >= 0)
            close(w->fd);
        if (w)
            w->dirfd = w->fd = -1;
        return r;
    }
    return b->ops->abort(b->state, id, w, err);
}

int
sw_slot_verify(struct sw_slot_backend *b, enum sw_slot_id id, struct sw_error *err)
{
    int r = check_id(id, err);
    return r < 0 ? r : b->ops->verify(b->state, id, err);
}

int
sw_slot_activate(struct sw_slot_backend *b, enum sw_slot_id id, struct sw_error *err)
{
    int r = check_id(id, err);
    return r < 0 ? r : b->ops->activate(b->state, id, err);
}

int
sw_slot_mark(struct sw_slot_backend *b, enum sw_slot_id id, enum sw_slot_health health,
             struct sw_error *err)
{
    int r = check_id(id, err);
    if (r < 0)
        return r;
    if (health != SW_SLOT_HEALTH_UNKNOWN && health != SW_SLOT_HEALTH_GOOD &&
        health != SW_SLOT_HEALTH_BAD)
        return sw_error_set(err, SW_E_INVAL, "no slot health %d", (int)health);
    return b->ops->mark(b->state, id, health, err);
}
