/* The per-term sums of a compiled TF-IDF piece (stance.predict._Compiled), in C.
 *
 * build(terms, weights) makes an open-addressing hash table from the vocabulary's terms (str)
 * to their four numbers (idf * w_0, idf * w_1, idf * w_2, idf ** 2), given as one buffer of
 * 4 * len(terms) doubles. score(table, grams, sublinear, binary) looks up every n-gram of a
 * text, counts repeats, and returns (a_0, a_1, a_2, norm): for each distinct term in the
 * vocabulary seen n times, f * its first three numbers and f * f * its fourth, summed, where
 * f = 1 if binary or n == 1, else 1 + log(n) if sublinear, else n. It is what the pure-Python
 * path of _Compiled.decision computes, without its Counter, dict lookups and tuple sums.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    Py_ssize_t mask;      /* capacity - 1; capacity is a power of two */
    PyObject **keys;      /* NULL for an empty slot; strong references */
    Py_hash_t *hashes;
    double *weights;      /* four per slot */
} Table;

static const char *CAPSULE = "stance._score.Table";

static void table_free(PyObject *capsule) {
    Table *t = (Table *)PyCapsule_GetPointer(capsule, CAPSULE);
    if (t == NULL) return;
    for (Py_ssize_t i = 0; i <= t->mask; i++) Py_XDECREF(t->keys[i]);
    PyMem_Free(t->keys);
    PyMem_Free(t->hashes);
    PyMem_Free(t->weights);
    PyMem_Free(t);
}

/* The slot holding key (hash h), or -1 if it is not in the table; -2 on error. */
static Py_ssize_t find(const Table *t, PyObject *key, Py_hash_t h) {
    Py_ssize_t slot = (Py_ssize_t)((size_t)h & (size_t)t->mask);
    for (;;) {
        PyObject *k = t->keys[slot];
        if (k == NULL) return -1;
        if (t->hashes[slot] == h) {
            if (k == key) return slot;
            int eq = PyObject_RichCompareBool(k, key, Py_EQ);
            if (eq < 0) return -2;
            if (eq) return slot;
        }
        slot = (slot + 1) & t->mask;
    }
}

static PyObject *build(PyObject *self, PyObject *args) {
    PyObject *terms;
    Py_buffer buf;
    if (!PyArg_ParseTuple(args, "O!y*", &PyList_Type, &terms, &buf)) return NULL;
    /* a tuple snapshot: comparing keys may run Python code (a str subclass's __eq__) that
       could change the list under the loop */
    PyObject *seq = PyList_AsTuple(terms);
    if (seq == NULL) { PyBuffer_Release(&buf); return NULL; }
    Py_ssize_t n = PyTuple_GET_SIZE(seq);
    if (buf.len != (Py_ssize_t)(4 * n * sizeof(double))) {
        PyBuffer_Release(&buf);
        Py_DECREF(seq);
        PyErr_SetString(PyExc_ValueError, "weights must hold 4 doubles per term");
        return NULL;
    }
    Py_ssize_t cap = 8;
    while (cap < 2 * n + 8) cap <<= 1;  /* load factor under one half */
    Table *t = PyMem_Calloc(1, sizeof(Table));
    if (t == NULL) { PyBuffer_Release(&buf); Py_DECREF(seq); return PyErr_NoMemory(); }
    t->mask = cap - 1;
    t->keys = PyMem_Calloc((size_t)cap, sizeof(PyObject *));
    t->hashes = PyMem_Calloc((size_t)cap, sizeof(Py_hash_t));
    t->weights = PyMem_Calloc((size_t)cap * 4, sizeof(double));
    PyObject *capsule = NULL;
    if (t->keys == NULL || t->hashes == NULL || t->weights == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    capsule = PyCapsule_New(t, CAPSULE, table_free);
    if (capsule == NULL) goto fail;
    const char *w = (const char *)buf.buf;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *key = PyTuple_GET_ITEM(seq, i);
        if (!PyUnicode_Check(key)) {
            PyErr_SetString(PyExc_TypeError, "terms must be str");
            goto fail_capsule;
        }
        Py_hash_t h = PyObject_Hash(key);
        if (h == -1) goto fail_capsule;
        Py_ssize_t slot = find(t, key, h);
        if (slot == -2) goto fail_capsule;
        if (slot >= 0) {
            PyErr_SetString(PyExc_ValueError, "duplicate term");
            goto fail_capsule;
        }
        slot = (Py_ssize_t)((size_t)h & (size_t)t->mask);
        while (t->keys[slot] != NULL) slot = (slot + 1) & t->mask;
        Py_INCREF(key);
        t->keys[slot] = key;
        t->hashes[slot] = h;
        /* memcpy: the buffer need not be aligned for doubles */
        memcpy(t->weights + 4 * slot, w + 4 * i * sizeof(double), 4 * sizeof(double));
    }
    PyBuffer_Release(&buf);
    Py_DECREF(seq);
    return capsule;
fail_capsule:
    PyBuffer_Release(&buf);
    Py_DECREF(seq);
    Py_DECREF(capsule);  /* frees the table */
    return NULL;
fail:
    PyBuffer_Release(&buf);
    Py_DECREF(seq);
    if (t != NULL) {
        PyMem_Free(t->keys);
        PyMem_Free(t->hashes);
        PyMem_Free(t->weights);
        PyMem_Free(t);
    }
    return NULL;
}

static int cmp_slot(const void *a, const void *b) {
    Py_ssize_t x = *(const Py_ssize_t *)a, y = *(const Py_ssize_t *)b;
    return (x > y) - (x < y);
}

static PyObject *score(PyObject *self, PyObject *args) {
    PyObject *capsule, *grams;
    int sublinear, binary;
    if (!PyArg_ParseTuple(args, "OO!pp", &capsule, &PyList_Type, &grams, &sublinear, &binary)) return NULL;
    Table *t = (Table *)PyCapsule_GetPointer(capsule, CAPSULE);
    if (t == NULL) return NULL;
    PyObject *seq = PyList_AsTuple(grams);  /* a snapshot, as in build() */
    if (seq == NULL) return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(seq);
    Py_ssize_t local[256];
    Py_ssize_t *slots = n <= 256 ? local : PyMem_Malloc((size_t)n * sizeof(Py_ssize_t));
    if (slots == NULL) { Py_DECREF(seq); return PyErr_NoMemory(); }
    Py_ssize_t m = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *g = PyTuple_GET_ITEM(seq, i);
        Py_hash_t h = PyObject_Hash(g);
        if (h == -1) goto fail;
        Py_ssize_t slot = find(t, g, h);
        if (slot == -2) goto fail;
        if (slot >= 0) slots[m++] = slot;
    }
    qsort(slots, (size_t)m, sizeof(Py_ssize_t), cmp_slot);
    double a0 = 0.0, a1 = 0.0, a2 = 0.0, norm = 0.0;
    for (Py_ssize_t i = 0; i < m;) {
        Py_ssize_t j = i + 1;
        while (j < m && slots[j] == slots[i]) j++;
        Py_ssize_t count = j - i;
        double f = (binary || count == 1) ? 1.0 : sublinear ? log((double)count) + 1.0 : (double)count;
        const double *w = t->weights + 4 * slots[i];
        a0 += f * w[0];
        a1 += f * w[1];
        a2 += f * w[2];
        norm += f * f * w[3];
        i = j;
    }
    if (slots != local) PyMem_Free(slots);
    Py_DECREF(seq);
    return Py_BuildValue("(dddd)", a0, a1, a2, norm);
fail:
    if (slots != local) PyMem_Free(slots);
    Py_DECREF(seq);
    return NULL;
}

static PyMethodDef methods[] = {
    {"build", build, METH_VARARGS, "build(terms, weights) -> table: the vocabulary and 4 doubles per term"},
    {"score", score, METH_VARARGS,
     "score(table, grams, sublinear, binary) -> (a0, a1, a2, norm): the per-term sums of one text"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "stance._score",
                                    "The per-term sums of a compiled TF-IDF piece, in C.", -1, methods};

PyMODINIT_FUNC PyInit__score(void) { return PyModule_Create(&module); }
