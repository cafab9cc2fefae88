/* The per-term sums of a compiled TF-IDF piece (stance.predict._Compiled), in C, and the two
 * analyzers of the default model, so that a text is scored without building its n-grams as
 * Python strings.
 *
 * build(terms, weights) makes an open-addressing hash table from the vocabulary's terms (str,
 * compared by their UTF-8 bytes) to their four numbers (idf * w_0, idf * w_1, idf * w_2,
 * idf ** 2), given as one buffer of 4 * len(terms) doubles. For each distinct term of a text in
 * the vocabulary, seen n times, the scorers add f * its first three numbers and f * f * its
 * fourth, where f = 1 if binary or n == 1, else 1 + log(n) if sublinear, else n, and return
 * (a_0, a_1, a_2, norm): what the pure-Python path of _Compiled.decision computes.
 *
 * score(table, grams, sublinear, binary) scores a list of n-grams made by any analyzer.
 *
 * score_words(table, text, n, sublinear, binary) scores the word n-grams (1 to n) of a
 * preprocessed text as scikit-learn's default word analyzer makes them: the tokens are the
 * matches of (?u)\b\w\w+\b, that is the runs of two or more word characters (a character is a
 * word character for Python's re when str.isalnum() is true or it is "_"), and an n-gram is n
 * consecutive tokens joined by single spaces.
 *
 * mask(text) replaces names and numbers as stance.features.mask_names does before it lower-cases
 * the text and strips its accents.
 *
 * re2_bytes(text) is stance.features._for_re2(text).encode("ascii"): the input of the RE2 cue
 * patterns.
 *
 * tagger(exact, prefixes, names) and score_cues(table, tagger, text, extra, sublinear, binary)
 * score the cue-tag n-grams of stance.features.cue_sequence_no_vote: the text's tokens (the
 * matches of stance.features._TOKEN, lower-cased, the curly apostrophe made straight) become
 * cue tags, the tags a sequence between "<s>" and "</s>", and its 1- to 3-grams are scored
 * with the str grams of `extra` (the scope and vote features, made in Python).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- byte strings -------------------------------------------------------------------- */

typedef struct {
    char *data;
    Py_ssize_t len, cap;
} Buf;

static int buf_reserve(Buf *b, Py_ssize_t extra) {
    if (b->len + extra <= b->cap) return 0;
    Py_ssize_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra) cap *= 2;
    char *d = PyMem_Realloc(b->data, (size_t)cap);
    if (d == NULL) { PyErr_NoMemory(); return -1; }
    b->data = d;
    b->cap = cap;
    return 0;
}

static int buf_put(Buf *b, const char *s, Py_ssize_t n) {
    if (buf_reserve(b, n) < 0) return -1;
    memcpy(b->data + b->len, s, (size_t)n);
    b->len += n;
    return 0;
}

/* Appends one code point as UTF-8 (the caller has reserved 4 bytes). */
static void put_utf8(Buf *b, Py_UCS4 c) {
    unsigned char *p = (unsigned char *)b->data + b->len;
    if (c < 0x80) {
        p[0] = (unsigned char)c;
        b->len += 1;
    } else if (c < 0x800) {
        p[0] = (unsigned char)(0xC0 | (c >> 6));
        p[1] = (unsigned char)(0x80 | (c & 0x3F));
        b->len += 2;
    } else if (c < 0x10000) {
        p[0] = (unsigned char)(0xE0 | (c >> 12));
        p[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
        p[2] = (unsigned char)(0x80 | (c & 0x3F));
        b->len += 3;
    } else {
        p[0] = (unsigned char)(0xF0 | (c >> 18));
        p[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
        p[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
        p[3] = (unsigned char)(0x80 | (c & 0x3F));
        b->len += 4;
    }
}

static uint64_t fnv1a(const char *s, Py_ssize_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* ---- hash table: byte strings to entry numbers ------------------------------------------ */

/* Open addressing over 8-byte slots (the high half of a key's hash and its entry number plus
   one, 0 for an empty slot): a key not in the table costs one cache line in most cases, which
   matters more than anything else here once the server's other work has evicted the table
   from the CPU caches. Payloads live in arrays indexed by entry number. */
typedef struct {
    uint32_t tag, entry;
} Slot;

typedef struct {
    uint32_t off, len;  /* of the key's bytes in `keys` */
} Key;

typedef struct {
    Py_ssize_t mask;  /* capacity - 1; capacity is a power of two */
    Slot *slots;
    Key *entries;
    uint32_t n;
    char *keys;
} Map;

static void map_free(Map *m) {
    PyMem_Free(m->slots);
    PyMem_Free(m->entries);
    PyMem_Free(m->keys);
}

static int map_init(Map *m, Py_ssize_t n, Py_ssize_t key_bytes) {
    if (n >= (Py_ssize_t)UINT32_MAX || key_bytes >= (Py_ssize_t)UINT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "vocabulary too large");
        return -1;
    }
    Py_ssize_t cap = 8;
    while (3 * cap < 4 * n + 8) cap <<= 1;  /* load factor at most three quarters */
    m->mask = cap - 1;
    m->n = 0;
    m->slots = PyMem_Calloc((size_t)cap, sizeof(Slot));
    m->entries = PyMem_Malloc((size_t)(n + 1) * sizeof(Key));
    m->keys = PyMem_Malloc((size_t)key_bytes + 1);
    if (m->slots == NULL || m->entries == NULL || m->keys == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

/* The entry number of key s (n bytes, hash h), or -1. */
static Py_ssize_t map_find(const Map *m, const char *s, Py_ssize_t n, uint64_t h) {
    Py_ssize_t slot = (Py_ssize_t)(h & (uint64_t)m->mask);
    uint32_t tag = (uint32_t)(h >> 32);
    for (;;) {
        Slot e = m->slots[slot];
        if (e.entry == 0) return -1;
        if (e.tag == tag) {
            const Key *k = m->entries + (e.entry - 1);
            if ((Py_ssize_t)k->len == n && memcmp(m->keys + k->off, s, (size_t)n) == 0) return (Py_ssize_t)e.entry - 1;
        }
        slot = (slot + 1) & m->mask;
    }
}

/* Adds a key (its bytes copied to `keys` at *used); returns its entry number, or -1 if it was
   there already. The caller's map_init counted it. */
static Py_ssize_t map_add(Map *m, const char *s, Py_ssize_t n, Py_ssize_t *used) {
    uint64_t h = fnv1a(s, n);
    if (map_find(m, s, n, h) >= 0) return -1;
    Py_ssize_t slot = (Py_ssize_t)(h & (uint64_t)m->mask);
    while (m->slots[slot].entry != 0) slot = (slot + 1) & m->mask;
    memcpy(m->keys + *used, s, (size_t)n);
    m->entries[m->n] = (Key){(uint32_t)*used, (uint32_t)n};
    m->slots[slot] = (Slot){(uint32_t)(h >> 32), ++m->n};
    *used += n;
    return (Py_ssize_t)m->n - 1;
}

/* ---- the vocabulary table -------------------------------------------------------------- */

typedef struct {
    Map map;
    double *weights;  /* four per entry */
} Table;

static const char *TABLE = "stance._score.Table";

static void table_free(PyObject *capsule) {
    Table *t = (Table *)PyCapsule_GetPointer(capsule, TABLE);
    if (t == NULL) return;
    map_free(&t->map);
    PyMem_Free(t->weights);
    PyMem_Free(t);
}

/* Sum of the UTF-8 lengths of a tuple of str (of the first items, if `pairs`); -1 with an exception if one is not str or
   cannot be encoded (a lone surrogate). */
static Py_ssize_t utf8_total(PyObject *seq, int pairs) {
    Py_ssize_t total = 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(seq); i++) {
        PyObject *key = PyTuple_GET_ITEM(seq, i);
        if (pairs) key = PyTuple_GET_ITEM(key, 0);  /* the caller checked it is a pair */
        if (!PyUnicode_Check(key)) {
            PyErr_SetString(PyExc_TypeError, "terms must be str");
            return -1;
        }
        Py_ssize_t n;
        if (PyUnicode_AsUTF8AndSize(key, &n) == NULL) return -1;
        total += n;
    }
    return total;
}

static PyObject *build(PyObject *self, PyObject *args) {
    PyObject *terms;
    Py_buffer buf;
    if (!PyArg_ParseTuple(args, "O!y*", &PyList_Type, &terms, &buf)) return NULL;
    PyObject *seq = PyList_AsTuple(terms);
    if (seq == NULL) { PyBuffer_Release(&buf); return NULL; }
    Py_ssize_t n = PyTuple_GET_SIZE(seq);
    PyObject *capsule = NULL;
    Table *t = NULL;
    if (buf.len != (Py_ssize_t)(4 * n * sizeof(double))) {
        PyErr_SetString(PyExc_ValueError, "weights must hold 4 doubles per term");
        goto fail;
    }
    Py_ssize_t total = utf8_total(seq, 0);
    if (total < 0) goto fail;
    t = PyMem_Calloc(1, sizeof(Table));
    if (t == NULL) { PyErr_NoMemory(); goto fail; }
    if (map_init(&t->map, n, total) < 0) goto fail;
    t->weights = PyMem_Calloc((size_t)(n + 1) * 4, sizeof(double));
    if (t->weights == NULL) { PyErr_NoMemory(); goto fail; }
    const char *w = (const char *)buf.buf;
    Py_ssize_t used = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t len;
        /* cannot fail: utf8_total() encoded every term (and the str caches its UTF-8) */
        const char *s = PyUnicode_AsUTF8AndSize(PyTuple_GET_ITEM(seq, i), &len);
        Py_ssize_t entry = map_add(&t->map, s, len, &used);
        if (entry < 0) {
            PyErr_SetString(PyExc_ValueError, "duplicate term");
            goto fail;
        }
        /* memcpy: the buffer need not be aligned for doubles */
        memcpy(t->weights + 4 * entry, w + 4 * i * sizeof(double), 4 * sizeof(double));
    }
    capsule = PyCapsule_New(t, TABLE, table_free);
    if (capsule == NULL) goto fail;
    PyBuffer_Release(&buf);
    Py_DECREF(seq);
    return capsule;
fail:
    PyBuffer_Release(&buf);
    Py_DECREF(seq);
    if (t != NULL) {
        map_free(&t->map);
        PyMem_Free(t->weights);
        PyMem_Free(t);
    }
    return NULL;
}

/* The entry numbers of a text's terms in the vocabulary, repeats included. */
typedef struct {
    Py_ssize_t *entries;
    Py_ssize_t n, cap;
    Py_ssize_t local[256];
} Hits;

static void hits_init(Hits *h) {
    h->entries = h->local;
    h->n = 0;
    h->cap = 256;
}

static void hits_free(Hits *h) {
    if (h->entries != h->local) PyMem_Free(h->entries);
}

static int hits_add(Hits *h, const Table *t, const char *s, Py_ssize_t n) {
    Py_ssize_t entry = map_find(&t->map, s, n, fnv1a(s, n));
    if (entry < 0) return 0;
    if (h->n == h->cap) {
        Py_ssize_t cap = 2 * h->cap;
        Py_ssize_t *d = PyMem_Malloc((size_t)cap * sizeof(Py_ssize_t));
        if (d == NULL) { PyErr_NoMemory(); return -1; }
        memcpy(d, h->entries, (size_t)h->n * sizeof(Py_ssize_t));
        hits_free(h);
        h->entries = d;
        h->cap = cap;
    }
    h->entries[h->n++] = entry;
    return 0;
}

static int cmp_entry(const void *a, const void *b) {
    Py_ssize_t x = *(const Py_ssize_t *)a, y = *(const Py_ssize_t *)b;
    return (x > y) - (x < y);
}

static PyObject *sums(Hits *h, const Table *t, int sublinear, int binary) {
    qsort(h->entries, (size_t)h->n, sizeof(Py_ssize_t), cmp_entry);
    double a0 = 0.0, a1 = 0.0, a2 = 0.0, norm = 0.0;
    for (Py_ssize_t i = 0; i < h->n;) {
        Py_ssize_t j = i + 1;
        while (j < h->n && h->entries[j] == h->entries[i]) j++;
        Py_ssize_t count = j - i;
        double f = (binary || count == 1) ? 1.0 : sublinear ? log((double)count) + 1.0 : (double)count;
        const double *w = t->weights + 4 * h->entries[i];
        a0 += f * w[0];
        a1 += f * w[1];
        a2 += f * w[2];
        norm += f * f * w[3];
        i = j;
    }
    return Py_BuildValue("(dddd)", a0, a1, a2, norm);
}

/* Looks up each str of a list; one that cannot be encoded (a lone surrogate) is in no
   vocabulary. */
static int add_grams(Hits *h, const Table *t, PyObject *grams) {
    PyObject *seq = PyList_AsTuple(grams);  /* a snapshot of the list */
    if (seq == NULL) return -1;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(seq); i++) {
        PyObject *g = PyTuple_GET_ITEM(seq, i);
        if (!PyUnicode_Check(g)) {
            PyErr_SetString(PyExc_TypeError, "grams must be str");
            Py_DECREF(seq);
            return -1;
        }
        Py_ssize_t n;
        const char *s = PyUnicode_AsUTF8AndSize(g, &n);
        if (s == NULL) {
            if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) { Py_DECREF(seq); return -1; }
            PyErr_Clear();
            continue;
        }
        if (hits_add(h, t, s, n) < 0) { Py_DECREF(seq); return -1; }
    }
    Py_DECREF(seq);
    return 0;
}

static PyObject *score(PyObject *self, PyObject *args) {
    PyObject *capsule, *grams;
    int sublinear, binary;
    if (!PyArg_ParseTuple(args, "OO!pp", &capsule, &PyList_Type, &grams, &sublinear, &binary)) return NULL;
    Table *t = (Table *)PyCapsule_GetPointer(capsule, TABLE);
    if (t == NULL) return NULL;
    Hits h;
    hits_init(&h);
    PyObject *out = add_grams(&h, t, grams) < 0 ? NULL : sums(&h, t, sublinear, binary);
    hits_free(&h);
    return out;
}

/* Scores the n-grams (lo to hi tokens) of tokens written one after the other in `b`, each
   followed by one byte (a space), token k at starts[k] to ends[k]: an n-gram is the bytes from
   its first token's start to its last token's end. */
static int add_ngrams(Hits *h, const Table *t, const Buf *b, const Py_ssize_t *starts, const Py_ssize_t *ends,
                      Py_ssize_t ntok, int lo, int hi) {
    for (Py_ssize_t n = lo; n <= hi && n <= ntok; n++) {
        for (Py_ssize_t k = 0; k + n <= ntok; k++) {
            if (hits_add(h, t, b->data + starts[k], ends[k + n - 1] - starts[k]) < 0) return -1;
        }
    }
    return 0;
}

static int is_word(Py_UCS4 c) {
    return c == '_' || Py_UNICODE_ISALNUM(c);
}

static PyObject *score_words(PyObject *self, PyObject *args) {
    PyObject *capsule, *text;
    int hi, sublinear, binary;
    if (!PyArg_ParseTuple(args, "OUipp", &capsule, &text, &hi, &sublinear, &binary)) return NULL;
    Table *t = (Table *)PyCapsule_GetPointer(capsule, TABLE);
    if (t == NULL) return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t len = PyUnicode_GET_LENGTH(text);
    Buf b = {NULL, 0, 0};
    Py_ssize_t *starts = PyMem_Malloc((size_t)(len / 2 + 1) * 2 * sizeof(Py_ssize_t));
    PyObject *out = NULL;
    Hits h;
    hits_init(&h);
    if (starts == NULL) { PyErr_NoMemory(); goto done; }
    Py_ssize_t *ends = starts + (len / 2 + 1);
    if (buf_reserve(&b, 4 * len + len / 2 + 1) < 0) goto done;
    Py_ssize_t ntok = 0;
    for (Py_ssize_t i = 0; i < len;) {
        if (!is_word(PyUnicode_READ(kind, data, i))) { i++; continue; }
        Py_ssize_t j = i + 1;
        while (j < len && is_word(PyUnicode_READ(kind, data, j))) j++;
        if (j - i >= 2) {  /* a token: at most len / 2 of them */
            starts[ntok] = b.len;
            for (Py_ssize_t k = i; k < j; k++) put_utf8(&b, PyUnicode_READ(kind, data, k));
            ends[ntok++] = b.len;
            b.data[b.len++] = ' ';
        }
        i = j;
    }
    if (add_ngrams(&h, t, &b, starts, ends, ntok, 1, hi < 1 ? 1 : hi) < 0) goto done;
    out = sums(&h, t, sublinear, binary);
done:
    hits_free(&h);
    PyMem_Free(starts);
    PyMem_Free(b.data);
    return out;
}

/* ---- cue tags -------------------------------------------------------------------------- */

#define MAX_GROUPS 31

typedef struct {
    Map exact, prefix;         /* word or prefix -> bit mask of groups */
    uint32_t *exact_groups, *prefix_groups;  /* per entry */
    int ngroups;
    char *names[MAX_GROUPS];
    Py_ssize_t name_lens[MAX_GROUPS];
} Tagger;

static const char *TAGGER = "stance._score.Tagger";

static void tagger_clear(Tagger *g) {
    map_free(&g->exact);
    map_free(&g->prefix);
    PyMem_Free(g->exact_groups);
    PyMem_Free(g->prefix_groups);
    for (int i = 0; i < g->ngroups; i++) PyMem_Free(g->names[i]);
    PyMem_Free(g);
}

static void tagger_free(PyObject *capsule) {
    Tagger *g = (Tagger *)PyCapsule_GetPointer(capsule, TAGGER);
    if (g != NULL) tagger_clear(g);
}

/* Fills one map from a tuple of (str, int) pairs; a key listed twice has its masks or-ed. */
static int fill(Map *m, uint32_t **groups, PyObject *seq, Py_ssize_t ngroups) {
    Py_ssize_t n = PyTuple_GET_SIZE(seq);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyTuple_GET_ITEM(seq, i);
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) {
            PyErr_SetString(PyExc_TypeError, "entries must be (str, int) pairs");
            return -1;
        }
        /* an empty word or prefix would match every token in Python (startswith("")) and none here */
        if (PyUnicode_Check(PyTuple_GET_ITEM(item, 0)) && PyUnicode_GET_LENGTH(PyTuple_GET_ITEM(item, 0)) == 0) {
            PyErr_SetString(PyExc_ValueError, "words and prefixes must not be empty");
            return -1;
        }
    }
    Py_ssize_t total = utf8_total(seq, 1);
    if (total < 0 || map_init(m, n, total) < 0) return -1;
    *groups = PyMem_Calloc((size_t)(n + 1), sizeof(uint32_t));
    if (*groups == NULL) { PyErr_NoMemory(); return -1; }
    Py_ssize_t used = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyTuple_GET_ITEM(seq, i);
        unsigned long mask = PyLong_AsUnsignedLong(PyTuple_GET_ITEM(item, 1));
        if (mask == (unsigned long)-1 && PyErr_Occurred()) return -1;
        if (mask >> ngroups) {
            PyErr_SetString(PyExc_ValueError, "a group mask names a group that is not in the names");
            return -1;
        }
        Py_ssize_t len;
        /* cannot fail: utf8_total() encoded every key (and the str caches its UTF-8) */
        const char *s = PyUnicode_AsUTF8AndSize(PyTuple_GET_ITEM(item, 0), &len);
        Py_ssize_t entry = map_find(m, s, len, fnv1a(s, len));
        if (entry < 0) entry = map_add(m, s, len, &used);
        (*groups)[entry] |= (uint32_t)mask;
    }
    return 0;
}

static PyObject *tagger(PyObject *self, PyObject *args) {
    PyObject *exact, *prefixes, *names;
    if (!PyArg_ParseTuple(args, "O!O!O!", &PyList_Type, &exact, &PyList_Type, &prefixes, &PyList_Type, &names))
        return NULL;
    Py_ssize_t ngroups = PyList_GET_SIZE(names);
    if (ngroups > MAX_GROUPS) {
        PyErr_SetString(PyExc_ValueError, "too many cue groups");
        return NULL;
    }
    Tagger *g = PyMem_Calloc(1, sizeof(Tagger));
    if (g == NULL) return PyErr_NoMemory();
    PyObject *e = NULL, *p = NULL;
    for (Py_ssize_t i = 0; i < ngroups; i++) {
        PyObject *name = PyList_GET_ITEM(names, i);
        if (!PyUnicode_Check(name)) {
            PyErr_SetString(PyExc_TypeError, "group names must be str");
            goto fail;
        }
        Py_ssize_t len;
        const char *s = PyUnicode_AsUTF8AndSize(name, &len);
        if (s == NULL) goto fail;
        if (len > 15) {
            PyErr_SetString(PyExc_ValueError, "group names must be under 16 bytes");
            goto fail;
        }
        /* tags are joined with "+" and n-grams with spaces; ",", "?" and "!" are tags of their own */
        int plain = len > 0;
        for (Py_ssize_t k = 0; k < len; k++) plain &= (s[k] >= 'A' && s[k] <= 'Z') || (s[k] >= '0' && s[k] <= '9') || s[k] == '_';
        if (!plain) {
            PyErr_SetString(PyExc_ValueError, "group names must be capital letters, digits and _");
            goto fail;
        }
        g->names[i] = PyMem_Malloc((size_t)len + 1);
        if (g->names[i] == NULL) { PyErr_NoMemory(); goto fail; }
        memcpy(g->names[i], s, (size_t)len);
        g->name_lens[i] = len;
        g->ngroups = (int)i + 1;
    }
    e = PyList_AsTuple(exact);
    if (e == NULL) goto fail;
    p = PyList_AsTuple(prefixes);
    if (p == NULL || fill(&g->exact, &g->exact_groups, e, ngroups) < 0
            || fill(&g->prefix, &g->prefix_groups, p, ngroups) < 0) goto fail;
    Py_DECREF(e);
    Py_DECREF(p);
    PyObject *capsule = PyCapsule_New(g, TAGGER, tagger_free);
    if (capsule == NULL) tagger_clear(g);
    return capsule;
fail:
    Py_XDECREF(e);
    Py_XDECREF(p);
    tagger_clear(g);
    return NULL;
}

/* The groups of a lower-cased token: its exact entry and every prefix entry it starts with. */
static uint32_t groups_of(const Tagger *g, const char *s, Py_ssize_t n) {
    uint32_t mask = 0;
    Py_ssize_t entry = map_find(&g->exact, s, n, fnv1a(s, n));
    if (entry >= 0) mask |= g->exact_groups[entry];
    uint64_t h = 1469598103934665603ULL;  /* FNV-1a of s[0:k], grown one byte at a time */
    for (Py_ssize_t k = 1; k <= n; k++) {
        h ^= (unsigned char)s[k - 1];
        h *= 1099511628211ULL;
        entry = map_find(&g->prefix, s, k, h);
        if (entry >= 0) mask |= g->prefix_groups[entry];
    }
    return mask;
}

static int is_ascii_alnum(Py_UCS4 c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int is_ascii_alpha(Py_UCS4 c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The single-character tokens of _TOKEN: quote marks, then clause and sentence punctuation. */
static int is_quote(Py_UCS4 c) {
    return c == '"' || c == 0x201C || c == 0x201D || c == 0x2018 || c == 0x2019 || c == '\'' || c == 0xAB
           || c == 0xBB;
}

static int is_clause(Py_UCS4 c) {
    return c == ',' || c == ';' || c == ':' || c == '(' || c == ')' || c == 0x2014 || c == '-';
}

static PyObject *score_cues(PyObject *self, PyObject *args) {
    PyObject *capsule, *tag_capsule, *text, *extra;
    int sublinear, binary;
    if (!PyArg_ParseTuple(args, "OOUO!pp", &capsule, &tag_capsule, &text, &PyList_Type, &extra, &sublinear,
                          &binary))
        return NULL;
    Table *t = (Table *)PyCapsule_GetPointer(capsule, TABLE);
    if (t == NULL) return NULL;
    Tagger *g = (Tagger *)PyCapsule_GetPointer(tag_capsule, TAGGER);
    if (g == NULL) return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t len = PyUnicode_GET_LENGTH(text);
    Buf tok = {NULL, 0, 0}, seq = {NULL, 0, 0};
    Py_ssize_t *starts = NULL;
    PyObject *out = NULL;
    Hits h;
    hits_init(&h);
    /* one tag per token at most (a token is at least one character), plus <s> and </s> */
    starts = PyMem_Malloc((size_t)(len + 2) * 2 * sizeof(Py_ssize_t));
    if (starts == NULL) { PyErr_NoMemory(); goto done; }
    Py_ssize_t *ends = starts + (len + 2);
    if (buf_reserve(&tok, 4 * len + 4) < 0 || buf_put(&seq, "<s> ", 4) < 0) goto done;
    starts[0] = 0;
    ends[0] = 3;
    Py_ssize_t ntag = 1;
    int last_comma = 0;
    for (Py_ssize_t i = 0; i < len;) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        Py_UCS4 single = 0;  /* the character of a one-character token */
        tok.len = 0;
        if (is_ascii_alnum(c)) {  /* [A-Za-z0-9]+(?:['\u2019][A-Za-z]+)?, lower-cased */
            Py_ssize_t j = i;
            while (j < len && is_ascii_alnum(c = PyUnicode_READ(kind, data, j))) {
                tok.data[tok.len++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
                j++;
            }
            if (j + 1 < len && (c == '\'' || c == 0x2019) && is_ascii_alpha(PyUnicode_READ(kind, data, j + 1))) {
                tok.data[tok.len++] = '\'';
                j++;
                while (j < len && is_ascii_alpha(c = PyUnicode_READ(kind, data, j))) {
                    tok.data[tok.len++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
                    j++;
                }
            }
            i = j;
        } else if (is_quote(c) || is_clause(c) || c == '?' || c == '!') {
            single = c;
            put_utf8(&tok, c == 0x2019 ? '\'' : c);
            i++;
        } else {
            i++;
            continue;
        }
        /* the token's tag */
        const char *tag;
        Py_ssize_t tag_len;
        char joined[MAX_GROUPS * 16];
        if (single && is_clause(single)) {
            if (last_comma) continue;  /* a run of clause marks is one "," */
            tag = ",";
            tag_len = 1;
        } else if (single == '?' || single == '!') {
            tag = tok.data;
            tag_len = 1;
        } else {
            uint32_t mask = groups_of(g, tok.data, tok.len);
            if (mask == 0) continue;  /* a token in no cue group adds nothing */
            tag_len = 0;
            for (int k = 0; k < g->ngroups; k++) {
                if (!(mask & (1u << k))) continue;
                if (tag_len) joined[tag_len++] = '+';
                memcpy(joined + tag_len, g->names[k], (size_t)g->name_lens[k]);
                tag_len += g->name_lens[k];
            }
            tag = joined;
        }
        last_comma = tag_len == 1 && tag[0] == ',';
        starts[ntag] = seq.len;
        if (buf_put(&seq, tag, tag_len) < 0 || buf_put(&seq, " ", 1) < 0) goto done;
        ends[ntag++] = seq.len - 1;
    }
    starts[ntag] = seq.len;
    if (buf_put(&seq, "</s>", 4) < 0) goto done;
    ends[ntag++] = seq.len;
    if (add_ngrams(&h, t, &seq, starts, ends, ntag, 1, 3) < 0 || add_grams(&h, t, extra) < 0) goto done;
    out = sums(&h, t, sublinear, binary);
done:
    hits_free(&h);
    PyMem_Free(starts);
    PyMem_Free(tok.data);
    PyMem_Free(seq.data);
    return out;
}

/* ---- names and numbers ----------------------------------------------------------------- */

/* [A-Z\u00c0-\u00d6\u00d8-\u00de] of stance.features._UPPER */
static int is_upper(Py_UCS4 c) {
    return (c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xD6) || (c >= 0xD8 && c <= 0xDE);
}

/* The end of a match of stance.features._NAME_WORD at i, or -1:
   (?!I\b|I['\u2019])[UPPER](?![UPPER]+\b)[\w'\u2019-]* */
static Py_ssize_t name_word(int kind, const void *d, Py_ssize_t len, Py_ssize_t i) {
    Py_UCS4 c = PyUnicode_READ(kind, d, i);
    if (!is_upper(c)) return -1;
    /* "I" before a non-word character or the end (an apostrophe is one) */
    if (c == 'I' && (i + 1 == len || !is_word(PyUnicode_READ(kind, d, i + 1)))) return -1;
    /* a run of capitals up to a word boundary: the run's end is one when the next character is
       not a word character, as capitals are */
    Py_ssize_t j = i + 1;
    while (j < len && is_upper(PyUnicode_READ(kind, d, j))) j++;
    if (j > i + 1 && (j == len || !is_word(PyUnicode_READ(kind, d, j)))) return -1;
    j = i + 1;
    while (j < len) {
        c = PyUnicode_READ(kind, d, j);
        if (!(is_word(c) || c == '\'' || c == 0x2019 || c == '-')) break;
        j++;
    }
    return j;
}

/* (?<=[a-z,;:\"'\u201c\u201d)] ) */
static int name_may_start(int kind, const void *d, Py_ssize_t i) {
    if (i < 2 || PyUnicode_READ(kind, d, i - 1) != ' ') return 0;
    Py_UCS4 c = PyUnicode_READ(kind, d, i - 2);
    return (c >= 'a' && c <= 'z') || c == ',' || c == ';' || c == ':' || c == '"' || c == '\'' || c == 0x201C
           || c == 0x201D || c == ')';
}

static PyObject *mask(PyObject *self, PyObject *args) {
    PyObject *text;
    if (!PyArg_ParseTuple(args, "U", &text)) return NULL;
    int kind = PyUnicode_KIND(text);
    const void *d = PyUnicode_DATA(text);
    Py_ssize_t len = PyUnicode_GET_LENGTH(text);
    /* "xname" and "xnum" replace at least one character each, so neither pass outgrows 5 * len */
    Py_UCS4 *a = PyMem_Malloc((size_t)(5 * len + 1) * sizeof(Py_UCS4));
    Py_UCS4 *b = PyMem_Malloc((size_t)(5 * len + 1) * sizeof(Py_UCS4));
    if (a == NULL || b == NULL) {
        PyMem_Free(a);
        PyMem_Free(b);
        return PyErr_NoMemory();
    }
    /* names: _NAME.sub("xname", text), _NAME = (?<=...)NAME_WORD(?:\s+NAME_WORD)* */
    Py_ssize_t n = 0;
    for (Py_ssize_t i = 0; i < len;) {
        Py_ssize_t e = name_may_start(kind, d, i) ? name_word(kind, d, len, i) : -1;
        if (e < 0) {
            a[n++] = PyUnicode_READ(kind, d, i++);
            continue;
        }
        for (;;) {  /* more words after whitespace */
            Py_ssize_t k = e;
            while (k < len && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, d, k))) k++;
            Py_ssize_t next = (k > e && k < len) ? name_word(kind, d, len, k) : -1;
            if (next < 0) break;
            e = next;
        }
        memcpy(a + n, (Py_UCS4[]){'x', 'n', 'a', 'm', 'e'}, 5 * sizeof(Py_UCS4));
        n += 5;
        i = e;
    }
    /* numbers: _NUMBER.sub("xnum", ...), _NUMBER = \d+(?:[.,]\d+)* */
    Py_ssize_t m = 0;
    for (Py_ssize_t i = 0; i < n;) {
        if (!Py_UNICODE_ISDECIMAL(a[i])) {
            b[m++] = a[i++];
            continue;
        }
        Py_ssize_t j = i + 1;
        for (;;) {
            while (j < n && Py_UNICODE_ISDECIMAL(a[j])) j++;
            if (j + 1 < n && (a[j] == '.' || a[j] == ',') && Py_UNICODE_ISDECIMAL(a[j + 1])) j += 2;
            else break;
        }
        memcpy(b + m, (Py_UCS4[]){'x', 'n', 'u', 'm'}, 4 * sizeof(Py_UCS4));
        m += 4;
        i = j;
    }
    PyObject *out = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, b, m);
    PyMem_Free(a);
    PyMem_Free(b);
    return out;
}

/* ---- the input of the RE2 cue patterns ---------------------------------------------------- */

static PyObject *re2_bytes(PyObject *self, PyObject *args) {
    PyObject *text;
    if (!PyArg_ParseTuple(args, "U", &text)) return NULL;
    int kind = PyUnicode_KIND(text);
    const void *d = PyUnicode_DATA(text);
    Py_ssize_t len = PyUnicode_GET_LENGTH(text);
    PyObject *out = PyBytes_FromStringAndSize(NULL, len);
    if (out == NULL) return NULL;
    char *o = PyBytes_AS_STRING(out);
    for (Py_ssize_t i = 0; i < len; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, d, i);
        if (c < 128 && c != '\v' && !(c >= 0x1C && c <= 0x1F)) o[i] = (char)c;
        else if (c == '_' || Py_UNICODE_ISALNUM(c)) o[i] = '0';
        else if (Py_UNICODE_ISSPACE(c)) o[i] = '\t';
        else o[i] = '#';
    }
    return out;
}

static PyMethodDef methods[] = {
    {"build", build, METH_VARARGS, "build(terms, weights) -> table: the vocabulary and 4 doubles per term"},
    {"score", score, METH_VARARGS,
     "score(table, grams, sublinear, binary) -> (a0, a1, a2, norm): the per-term sums of one text's n-grams"},
    {"score_words", score_words, METH_VARARGS,
     "score_words(table, text, n, sublinear, binary) -> (a0, a1, a2, norm): the sums of the word 1- to n-grams "
     "of a preprocessed text"},
    {"tagger", tagger, METH_VARARGS,
     "tagger(exact, prefixes, names) -> tagger: (word, group mask) and (prefix, group mask) pairs, group names"},
    {"score_cues", score_cues, METH_VARARGS,
     "score_cues(table, tagger, text, extra, sublinear, binary) -> (a0, a1, a2, norm): the sums of the cue-tag "
     "1- to 3-grams of a text and of the extra grams"},
    {"re2_bytes", re2_bytes, METH_VARARGS,
     "re2_bytes(text) -> bytes: stance.features._for_re2(text), encoded as ASCII"},
    {"mask", mask, METH_VARARGS,
     "mask(text) -> str: names become xname and numbers xnum, as in stance.features.mask_names "
     "(before its lower-casing and accent stripping)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "stance._score",
                                    "The per-term sums of a compiled TF-IDF piece and the default analyzers, in C.",
                                    -1, methods};

PyMODINIT_FUNC PyInit__score(void) { return PyModule_Create(&module); }
