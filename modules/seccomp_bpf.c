#define _GNU_SOURCE
#include "seccomp_bpf.h"
#include "common.h"

#include <linux/seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* ---- code generation with labels ---- */

#define LABEL_NEXT      (-1) /* the next instruction */
#define A_UNKNOWN       (-1) /* A's content differs between the paths to a label */
#define A_NO_JUMP       (-2) /* no jump to the label emitted yet */
#define X32_SYSCALL_BIT 0x40000000u
#define DATA_NR         offsetof(struct seccomp_data, nr)
#define DATA_ARCH       offsetof(struct seccomp_data, arch)

/* An instruction whose jump targets are labels until layout. */
struct ir {
        uint16_t code;
        uint32_t k;
        int jt, jf; /* labels; a JA's target is jt */
};

struct gen {
        const struct sc_target *t;
        struct ir *code;
        unsigned len, cap;
        int *label_pos; /* label -> instruction index, -1 while unplaced */
        int *label_a;   /* what A holds at the label: an offset, A_UNKNOWN, or A_NO_JUMP */
        unsigned nlabels, label_cap;
        uint32_t *ret_action; /* the shared RET blocks */
        int *ret_label;
        unsigned nrets;
        int a_holds; /* the seccomp_data offset loaded in A, or -1 */
};

static int new_label(struct gen *g)
{
        if (g->nlabels == g->label_cap) {
                g->label_cap = g->label_cap ? g->label_cap * 2 : 64;
                g->label_pos = xrealloc(g->label_pos, g->label_cap * sizeof(*g->label_pos));
                g->label_a = xrealloc(g->label_a, g->label_cap * sizeof(*g->label_a));
        }
        g->label_pos[g->nlabels] = -1;
        g->label_a[g->nlabels] = A_NO_JUMP;
        return (int)g->nlabels++;
}

/* Records that a jump to label arrives with A holding a_holds (code is emitted
 * in order and every jump goes forward, so all of a label's jumps precede it). */
static void note_jump_holding(struct gen *g, int label, int a_holds)
{
        if (label == LABEL_NEXT)
                return;
        int *a = &g->label_a[label];
        *a = *a == A_NO_JUMP || *a == a_holds ? a_holds : A_UNKNOWN;
}

static void note_jump(struct gen *g, int label)
{
        note_jump_holding(g, label, g->a_holds);
}

/* Whether the last instruction can continue into the next one. */
static bool falls_through(const struct gen *g)
{
        if (g->len == 0)
                return true;
        const struct ir *last = &g->code[g->len - 1];
        if (BPF_CLASS(last->code) == BPF_RET || last->code == (BPF_JMP | BPF_JA))
                return false;
        if (BPF_CLASS(last->code) == BPF_JMP)
                return last->jt == LABEL_NEXT || last->jf == LABEL_NEXT;
        return true;
}

/* Places label at the next instruction. A keeps a known value there only if
 * every way in (the jumps, and falling through) agrees on it. */
static void place(struct gen *g, int label)
{
        g->label_pos[label] = (int)g->len;
        int at_label = g->label_a[label];
        if (falls_through(g))
                note_jump(g, label), at_label = g->label_a[label];
        g->a_holds = at_label >= 0 ? at_label : A_UNKNOWN;
}

static unsigned emit(struct gen *g, uint16_t code, uint32_t k, int jt, int jf)
{
        if (g->len == g->cap) {
                g->cap = g->cap ? g->cap * 2 : 128;
                g->code = xrealloc(g->code, g->cap * sizeof(*g->code));
        }
        g->code[g->len] = (struct ir){code, k, jt, jf};
        return g->len++;
}

static void emit_load(struct gen *g, uint32_t offset)
{
        if (g->a_holds == (int)offset)
                return;
        emit(g, BPF_LD | BPF_W | BPF_ABS, offset, 0, 0);
        g->a_holds = (int)offset;
}

static void emit_and(struct gen *g, uint32_t mask)
{
        if (mask == UINT32_MAX)
                return;
        emit(g, BPF_ALU | BPF_AND | BPF_K, mask, 0, 0);
        g->a_holds = -1;
}

static void emit_jump(struct gen *g, uint16_t op, uint32_t k, int jt, int jf)
{
        note_jump(g, jt);
        note_jump(g, jf);
        emit(g, BPF_JMP | op | BPF_K, k, jt, jf);
}

/* The label of the shared RET for action (emitted at the end). */
static int ret_label(struct gen *g, uint32_t action)
{
        for (unsigned i = 0; i < g->nrets; i++)
                if (g->ret_action[i] == action)
                        return g->ret_label[i];
        g->ret_action = xrealloc(g->ret_action, (g->nrets + 1) * sizeof(*g->ret_action));
        g->ret_label = xrealloc(g->ret_label, (g->nrets + 1) * sizeof(*g->ret_label));
        g->ret_action[g->nrets] = action;
        return g->ret_label[g->nrets++] = new_label(g);
}

/* ---- argument conditions ---- */

static uint32_t arg_offset(const struct gen *g, unsigned arg, bool high)
{
        uint32_t base = (uint32_t)offsetof(struct seccomp_data, args) + 8 * arg;
        return base + ((high != g->t->big_endian) ? 4 : 0);
}

/* Whether c needs the high half of its argument tested: a 64-bit comparison
 * does, unless it is a masked test whose mask and value have no high bits. */
static bool tests_high_half(const struct sc_cond *c)
{
        if (c->width != 64)
                return false;
        return !(c->op == SC_MASKED_EQ && !(c->mask >> 32) && !(c->value >> 32));
}

/* An unsigned comparison of one half is one jump: the operator, and whether the
 * condition holds on the jump's false branch (!= is == with the outcomes
 * exchanged, < is the failure of >=). */
static const struct {
        uint16_t op;
        bool holds_if_false;
} compare_jumps[] = {
    [SC_EQ] = {BPF_JEQ, false}, [SC_NE] = {BPF_JEQ, true}, [SC_GT] = {BPF_JGT, false},
    [SC_GE] = {BPF_JGE, false}, [SC_LT] = {BPF_JGE, true}, [SC_LE] = {BPF_JGT, true},
};

/* "A & mask == value" for the low half. JSET tests bits without changing A:
 * it serves "& M == 0" and a single bit; anything else needs an AND first. */
static void emit_masked_low(struct gen *g, uint32_t mask, uint32_t value, int T, int F)
{
        if (value == 0)
                emit_jump(g, BPF_JSET, mask, F, T);
        else if (value == mask && !(mask & (mask - 1)))
                emit_jump(g, BPF_JSET, mask, T, F);
        else {
                emit_and(g, mask);
                emit_jump(g, BPF_JEQ, value, T, F);
        }
}

/* The test of c's low half (all of a 32-bit condition), to T or F. */
static void emit_low_half(struct gen *g, const struct sc_cond *c, int T, int F)
{
        emit_load(g, arg_offset(g, c->arg, false));
        if (c->op == SC_MASKED_EQ) {
                emit_masked_low(g, (uint32_t)c->mask, (uint32_t)c->value, T, F);
                return;
        }
        bool swap = compare_jumps[c->op].holds_if_false;
        emit_jump(g, compare_jumps[c->op].op, (uint32_t)c->value, swap ? F : T, swap ? T : F);
}

/* The test of c's high half: it settles c when the high halves differ (to
 * "holds", or to F) and falls through to the low half's test when they are
 * equal. */
static void emit_high_half(struct gen *g, const struct sc_cond *c, int holds, int F)
{
        uint32_t hi = (uint32_t)(c->value >> 32), mask_hi = (uint32_t)(c->mask >> 32);
        emit_load(g, arg_offset(g, c->arg, true));
        switch (c->op) {
        case SC_MASKED_EQ:
                if (hi == 0) {
                        emit_jump(g, BPF_JSET, mask_hi, F, LABEL_NEXT);
                } else {
                        emit_and(g, mask_hi);
                        emit_jump(g, BPF_JEQ, hi, LABEL_NEXT, F);
                }
                return;
        case SC_GT:
        case SC_GE:
                emit_jump(g, BPF_JGT, hi, holds, LABEL_NEXT); /* above: holds */
                break;
        case SC_LT:
        case SC_LE:
                emit_jump(g, BPF_JGT, hi, F, LABEL_NEXT); /* above: fails */
                break;
        default: /* == and !=: the one test below */
                break;
        }
        /* Unequal (for an ordering: below): != and < hold, == and > fail. */
        bool holds_if_unequal = c->op == SC_NE || c->op == SC_LT || c->op == SC_LE;
        emit_jump(g, BPF_JEQ, hi, LABEL_NEXT, holds_if_unequal ? holds : F);
}

/* Emits a test of c that goes to T when it holds and to F when not. T may be
 * LABEL_NEXT (fall through to what follows). */
static void emit_cond(struct gen *g, const struct sc_cond *c, int T, int F)
{
        /* A 64-bit condition tests the high half first. When c holds there and
         * T is the next instruction, the jump must skip the low half's test: to
         * a label placed after it. */
        int holds = LABEL_NEXT;
        if (tests_high_half(c)) {
                holds = T == LABEL_NEXT ? new_label(g) : T;
                emit_high_half(g, c, holds, F);
        }
        emit_low_half(g, c, T, F);
        if (T == LABEL_NEXT && holds != LABEL_NEXT)
                place(g, holds);
}

/* ---- decisions per system call number ---- */

/* The rules of one call that has conditions: emitted once as a leaf block,
 * shared by every call whose rules are the same. */
struct leaf {
        const struct sc_rule *const *rules;
        unsigned n;
        int label;
};

/* What a number gets: an action, or a leaf. */
struct decision {
        uint32_t action;
        int leaf; /* -1: the action */
};

struct range {
        uint32_t start, end; /* inclusive */
        struct decision d;
        uint64_t weight; /* how many numbers the kernel evaluates at attach time */
};

struct plan {
        struct leaf *leaves;
        unsigned nleaves;
        struct range *ranges;
        unsigned nranges, range_cap;
        uint64_t *prefix; /* prefix sums of range weights */
};

static bool same_conds(const struct sc_rule *a, const struct sc_rule *b)
{
        if (a->action != b->action || a->ncond != b->ncond)
                return false;
        for (unsigned i = 0; i < a->ncond; i++) {
                const struct sc_cond *x = &a->cond[i], *y = &b->cond[i];
                if (x->arg != y->arg || x->width != y->width || x->op != y->op ||
                    x->mask != y->mask || x->value != y->value)
                        return false;
        }
        return true;
}

static int leaf_for(struct plan *pl, const struct sc_rule *const *rules, unsigned n)
{
        for (unsigned i = 0; i < pl->nleaves; i++) {
                if (pl->leaves[i].n != n)
                        continue;
                unsigned j = 0;
                while (j < n && same_conds(pl->leaves[i].rules[j], rules[j]))
                        j++;
                if (j == n)
                        return (int)i;
        }
        pl->leaves = xrealloc(pl->leaves, (pl->nleaves + 1) * sizeof(*pl->leaves));
        pl->leaves[pl->nleaves] = (struct leaf){rules, n, -1};
        return (int)pl->nleaves++;
}

static bool same_decision(struct decision a, struct decision b)
{
        return a.leaf == b.leaf && (a.leaf >= 0 || a.action == b.action);
}

static void add_range(struct plan *pl, uint32_t start, uint32_t end, struct decision d,
                      uint32_t weight_limit)
{
        uint64_t weight = 0;
        if (start <= weight_limit)
                weight = (uint64_t)(end < weight_limit ? end : weight_limit) - start + 1;
        struct range *last = pl->nranges ? &pl->ranges[pl->nranges - 1] : NULL;
        if (last && last->end + 1 == start && same_decision(last->d, d)) {
                last->end = end;
                last->weight += weight;
                return;
        }
        if (pl->nranges == pl->range_cap) {
                pl->range_cap = pl->range_cap ? pl->range_cap * 2 : 64;
                pl->ranges = xrealloc(pl->ranges, pl->range_cap * sizeof(*pl->ranges));
        }
        pl->ranges[pl->nranges++] = (struct range){start, end, d, weight};
}

/* Orders the rules by number, keeping file order within a number (a counting
 * sort: numbers are small). Returns the highest number. */
static uint32_t sort_rules(const struct sc_policy *p, const struct sc_rule **sorted)
{
        uint32_t max = 0;
        for (size_t i = 0; i < p->nrules; i++)
                if ((uint32_t)p->rules[i]->nr > max)
                        max = (uint32_t)p->rules[i]->nr;
        size_t *start = xmalloc(((size_t)max + 2) * sizeof(*start));
        memset(start, 0, ((size_t)max + 2) * sizeof(*start));
        for (size_t i = 0; i < p->nrules; i++)
                start[p->rules[i]->nr + 1]++;
        for (uint32_t nr = 0; nr <= max; nr++)
                start[nr + 1] += start[nr];
        for (size_t i = 0; i < p->nrules; i++)
                sorted[start[p->rules[i]->nr]++] = p->rules[i];
        free(start);
        return max;
}

/* Sorts the rules into ranges of numbers that share a decision. */
static void make_plan(const struct sc_policy *p, const struct sc_target *t,
                      const struct sc_rule **sorted, struct plan *pl)
{
        uint32_t max_nr = sort_rules(p, sorted);
        /* The kernel evaluates every number up to its own table's end when it
         * attaches a filter; a newer kernel than our table has a few more. */
        uint32_t span = (uint32_t)t->table_max;
        if (p->nrules && max_nr > span)
                span = max_nr;
        uint32_t weight_limit = span + 64;
        struct decision by_default = {p->default_action, -1};
        size_t i = 0;
        for (uint32_t nr = 0; nr <= span; nr++) {
                struct decision d = by_default;
                size_t first = i;
                while (i < p->nrules && (uint32_t)sorted[i]->nr == nr)
                        i++;
                if (i > first) {
                        if (sorted[first]->ncond == 0)
                                d = (struct decision){sorted[first]->action, -1};
                        else
                                d.leaf = leaf_for(pl, sorted + first, (unsigned)(i - first));
                }
                add_range(pl, nr, nr, d, weight_limit);
        }
        struct decision unknown = {p->unknown_action, -1};
        struct decision foreign = {SECCOMP_RET_KILL_PROCESS, -1};
        if (t->x32_abi) {
                /* As libseccomp does: x32 numbers are another ABI; -1 is ordinary. */
                add_range(pl, span + 1, X32_SYSCALL_BIT - 1, unknown, weight_limit);
                add_range(pl, X32_SYSCALL_BIT, UINT32_MAX - 1, foreign, weight_limit);
                add_range(pl, UINT32_MAX, UINT32_MAX, unknown, weight_limit);
        } else {
                add_range(pl, span + 1, UINT32_MAX, unknown, weight_limit);
        }
        pl->prefix = xmalloc((pl->nranges + 1) * sizeof(*pl->prefix));
        pl->prefix[0] = 0;
        for (unsigned r = 0; r < pl->nranges; r++)
                pl->prefix[r + 1] = pl->prefix[r] + pl->ranges[r].weight + 1;
}

/* ---- the search tree ---- */

static int decision_label(struct gen *g, struct plan *pl, struct decision d)
{
        if (d.leaf < 0)
                return ret_label(g, d.action);
        struct leaf *leaf = &pl->leaves[d.leaf];
        if (leaf->label < 0)
                leaf->label = new_label(g);
        return leaf->label;
}

/* The split that best balances the weight of ranges lo..s-1 against s..hi. */
static unsigned best_split(const struct plan *pl, unsigned lo, unsigned hi)
{
        uint64_t total = pl->prefix[hi + 1] - pl->prefix[lo];
        unsigned best = lo + 1;
        uint64_t best_gap = UINT64_MAX;
        for (unsigned s = lo + 1; s <= hi; s++) {
                uint64_t left = pl->prefix[s] - pl->prefix[lo];
                uint64_t gap = left * 2 > total ? left * 2 - total : total - left * 2;
                if (gap < best_gap) {
                        best_gap = gap;
                        best = s;
                }
                if (left * 2 >= total)
                        break; /* the gap only grows from here */
        }
        return best;
}

/* Emits the subtree for ranges lo..hi and returns the label where it starts. */
static int emit_tree(struct gen *g, struct plan *pl, unsigned lo, unsigned hi)
{
        if (lo == hi)
                return decision_label(g, pl, pl->ranges[lo].d);
        unsigned s = best_split(pl, lo, hi);
        int label = new_label(g);
        place(g, label);
        unsigned node = emit(g, BPF_JMP | BPF_JGE | BPF_K, pl->ranges[s].start, 0, 0);
        int left = emit_tree(g, pl, lo, s - 1); /* right after the node: a short jump */
        int right = emit_tree(g, pl, s, hi);
        g->code[node].jt = right;
        g->code[node].jf = left;
        note_jump_holding(g, right, (int)DATA_NR); /* the tree only ever holds nr */
        note_jump_holding(g, left, (int)DATA_NR);
        return label;
}

/* ---- leaves: the rules of one call ---- */

/* What is known about a condition on the path to the code being emitted. */
struct fact {
        const struct sc_cond *c;
        bool holds;
};

static bool same_cond(const struct sc_cond *a, const struct sc_cond *b)
{
        return a->arg == b->arg && a->width == b->width && a->op == b->op && a->mask == b->mask &&
               a->value == b->value;
}

/* c's outcome for an argument known to equal v. */
static bool cond_of_value(const struct sc_cond *c, uint64_t v)
{
        switch (c->op) {
        case SC_EQ:
                return v == c->value;
        case SC_NE:
                return v != c->value;
        case SC_LT:
                return v < c->value;
        case SC_LE:
                return v <= c->value;
        case SC_GT:
                return v > c->value;
        case SC_GE:
                return v >= c->value;
        default:
                return (v & c->mask) == c->value;
        }
}

/* Whether the facts decide c: 1 holds, 0 fails, -1 unknown. */
static int implied(const struct fact *facts, unsigned nfacts, const struct sc_cond *c)
{
        for (unsigned i = 0; i < nfacts; i++) {
                const struct sc_cond *f = facts[i].c;
                if (f->arg != c->arg || f->width != c->width)
                        continue;
                if (same_cond(f, c))
                        return facts[i].holds;
                /* "== v" holding, or "!= v" failing: the value is known. */
                if ((f->op == SC_EQ && facts[i].holds) || (f->op == SC_NE && !facts[i].holds))
                        return cond_of_value(c, f->value);
                /* "== v" failing is "!= v" holding, and the other way round. */
                if (((f->op == SC_EQ && !facts[i].holds) || (f->op == SC_NE && facts[i].holds)) &&
                    (c->op == SC_EQ || c->op == SC_NE) && c->value == f->value)
                        return c->op == SC_NE;
                /* a masked test holding decides those with a narrower mask */
                if (f->op == SC_MASKED_EQ && facts[i].holds && c->op == SC_MASKED_EQ &&
                    !(c->mask & ~f->mask))
                        return (f->value & c->mask) == c->value;
        }
        return -1;
}

struct leaf_ctx {
        const struct leaf *leaf;
        uint32_t default_action;
        struct fact facts[64];
        unsigned budget; /* instructions this leaf may still take */
};

/* The first rule from i that the facts do not rule out: sets *decided when it
 * surely applies, else *open to its first condition still unknown. */
static uint32_t next_step(const struct leaf_ctx *x, unsigned nfacts, unsigned i, bool *decided,
                          const struct sc_cond **open, unsigned *rule)
{
        for (; i < x->leaf->n; i++) {
                const struct sc_rule *r = x->leaf->rules[i];
                const struct sc_cond *unknown = NULL;
                bool fails = false;
                for (unsigned c = 0; c < r->ncond && !fails; c++) {
                        int v = implied(x->facts, nfacts, &r->cond[c]);
                        fails = v == 0;
                        if (v < 0 && !unknown)
                                unknown = &r->cond[c];
                }
                if (fails)
                        continue;
                *rule = i;
                *decided = !unknown;
                *open = unknown;
                return r->action;
        }
        *decided = true;
        return x->default_action;
}

/* Where a path stands: a settled action, or a condition still to test. */
struct step {
        bool decided;
        uint32_t action;
        const struct sc_cond *open;
        unsigned rule;
};

static struct step step_from(const struct leaf_ctx *x, unsigned nfacts, unsigned i)
{
        struct step s;
        s.action = next_step(x, nfacts, i, &s.decided, &s.open, &s.rule);
        return s;
}

/* Emits a decision tree for the rules in first-match order, from the step s
 * the path has reached: each test is the first condition the path has not
 * settled, and what the path has learned settles later rules' conditions
 * without testing them again. */
static bool emit_decision(struct gen *g, struct leaf_ctx *x, unsigned nfacts, struct step s)
{
        if (s.decided) {
                emit(g, BPF_RET | BPF_K, s.action, 0, 0);
                return true;
        }
        if (nfacts + 1 >= ARRAY_SIZE(x->facts) || g->len > x->budget)
                return false;
        /* Where each outcome goes: straight to a shared RET when it is settled. */
        const struct sc_cond *c = s.open;
        x->facts[nfacts] = (struct fact){c, true};
        struct step t = step_from(x, nfacts + 1, s.rule);
        x->facts[nfacts].holds = false;
        struct step f = step_from(x, nfacts + 1, s.rule);
        int F = f.decided ? ret_label(g, f.action) : new_label(g);
        if (t.decided) {
                emit_cond(g, c, ret_label(g, t.action), F);
        } else {
                emit_cond(g, c, LABEL_NEXT, F);
                x->facts[nfacts].holds = true;
                if (!emit_decision(g, x, nfacts + 1, t))
                        return false;
        }
        if (!f.decided) {
                place(g, F);
                x->facts[nfacts].holds = false;
                if (!emit_decision(g, x, nfacts + 1, f))
                        return false;
        }
        return true;
}

/* The plain form: each rule's conditions in turn, then the default action. */
static void emit_rules_in_order(struct gen *g, const struct leaf *leaf, uint32_t default_action)
{
        for (unsigned i = 0; i < leaf->n; i++) {
                const struct sc_rule *rule = leaf->rules[i];
                if (rule->ncond == 0) {
                        emit(g, BPF_RET | BPF_K, rule->action, 0, 0);
                        return; /* later rules cannot apply */
                }
                bool last = i + 1 == leaf->n;
                int fail = last ? ret_label(g, default_action) : new_label(g);
                int pass = ret_label(g, rule->action);
                for (unsigned c = 0; c < rule->ncond; c++)
                        emit_cond(g, &rule->cond[c], c + 1 == rule->ncond ? pass : LABEL_NEXT,
                                  fail);
                if (!last)
                        place(g, fail);
        }
}

/* A leaf: the decision tree when it stays small, else the plain form (a
 * decision tree can grow exponentially with independent conditions). */
static void emit_leaf(struct gen *g, const struct leaf *leaf, uint32_t default_action)
{
        place(g, leaf->label);
        unsigned start = g->len, conds = 0;
        for (unsigned i = 0; i < leaf->n; i++)
                conds += leaf->rules[i]->ncond;
        struct leaf_ctx *x = xmalloc(sizeof(*x));
        *x = (struct leaf_ctx){.leaf = leaf, .default_action = default_action};
        x->budget = start + 4 * (conds + leaf->n) + 8;
        int a_at_start = g->a_holds;
        if (!emit_decision(g, x, 0, step_from(x, 0, 0))) {
                g->len = start; /* labels made meanwhile stay unused */
                g->a_holds = a_at_start;
                emit_rules_in_order(g, leaf, default_action);
        }
        free(x);
}

/* ---- layout ---- */

static bool is_conditional(uint16_t code)
{
        return BPF_CLASS(code) == BPF_JMP && BPF_OP(code) != BPF_JA;
}

static long target_of(const struct gen *g, unsigned at, int label)
{
        long pos = label == LABEL_NEXT ? (long)at + 1 : g->label_pos[label];
        return pos - ((long)at + 1);
}

/* Opens n slots after instruction at; labels placed later move along. */
static void insert_after(struct gen *g, unsigned at, unsigned n)
{
        while (g->len + n > g->cap) {
                g->cap *= 2;
                g->code = xrealloc(g->code, g->cap * sizeof(*g->code));
        }
        memmove(&g->code[at + 1 + n], &g->code[at + 1], (g->len - at - 1) * sizeof(*g->code));
        g->len += n;
        for (unsigned l = 0; l < g->nlabels; l++)
                if (g->label_pos[l] > (int)at)
                        g->label_pos[l] += (int)n;
}

/* Conditional jumps reach at most 255 instructions ahead: a farther target is
 * reached through a JA placed right after the jump. */
static void fix_far_jumps(struct gen *g)
{
        bool changed = true;
        while (changed) {
                changed = false;
                for (unsigned i = 0; i < g->len; i++) {
                        struct ir *in = &g->code[i];
                        if (!is_conditional(in->code))
                                continue;
                        bool far_t = target_of(g, i, in->jt) > 255;
                        bool far_f = target_of(g, i, in->jf) > 255;
                        if (!far_t && !far_f)
                                continue;
                        int jt = in->jt, jf = in->jf;
                        if (jt == LABEL_NEXT)
                                jt = new_label(g), g->label_pos[jt] = (int)i + 1;
                        if (jf == LABEL_NEXT)
                                jf = new_label(g), g->label_pos[jf] = (int)i + 1;
                        unsigned n = (unsigned)far_t + (unsigned)far_f;
                        insert_after(g, i, n);
                        unsigned slot = i + 1;
                        if (far_t) {
                                g->code[slot] = (struct ir){BPF_JMP | BPF_JA, 0, jt, 0};
                                g->code[i].jt = new_label(g);
                                g->label_pos[g->code[i].jt] = (int)slot++;
                        } else {
                                g->code[i].jt = jt;
                        }
                        if (far_f) {
                                g->code[slot] = (struct ir){BPF_JMP | BPF_JA, 0, jf, 0};
                                g->code[i].jf = new_label(g);
                                g->label_pos[g->code[i].jf] = (int)slot;
                        } else {
                                g->code[i].jf = jf;
                        }
                        changed = true;
                }
        }
}

static struct sock_filter *resolve_labels(const struct gen *g)
{
        struct sock_filter *out = xmalloc(g->len * sizeof(*out));
        for (unsigned i = 0; i < g->len; i++) {
                const struct ir *in = &g->code[i];
                out[i] = (struct sock_filter){in->code, 0, 0, in->k};
                if (in->code == (BPF_JMP | BPF_JA))
                        out[i].k = (uint32_t)target_of(g, i, in->jt);
                else if (is_conditional(in->code)) {
                        out[i].jt = (uint8_t)target_of(g, i, in->jt);
                        out[i].jf = (uint8_t)target_of(g, i, in->jf);
                }
        }
        return out;
}

bool sc_compile(const struct sc_policy *p, const struct sc_target *t, struct sc_program *out,
                char *err, size_t errlen)
{
        struct gen g = {.t = t, .a_holds = -1};
        struct plan pl = {0};
        const struct sc_rule **sorted = xmalloc((p->nrules + 1) * sizeof(*sorted));
        make_plan(p, t, sorted, &pl);

        /* 1. Another architecture's call (i386 int 0x80, say) is killed. */
        int foreign = ret_label(&g, SECCOMP_RET_KILL_PROCESS);
        emit_load(&g, DATA_ARCH);
        emit_jump(&g, BPF_JEQ, t->audit_arch, LABEL_NEXT, foreign);
        /* 2. The search over number ranges. */
        emit_load(&g, DATA_NR);
        int root = emit_tree(&g, &pl, 0, pl.nranges - 1);
        if (g.label_pos[root] < 0 || pl.nranges == 1)
                emit(&g, BPF_JMP | BPF_JA, 0, root, 0); /* the whole tree is one leaf */
        /* 3. Argument checks, only where rules have them. */
        for (unsigned i = 0; i < pl.nleaves; i++)
                if (pl.leaves[i].label >= 0)
                        emit_leaf(&g, &pl.leaves[i], p->default_action);
        /* 4. One RET per distinct action. */
        for (unsigned i = 0; i < g.nrets; i++) {
                place(&g, g.ret_label[i]);
                emit(&g, BPF_RET | BPF_K, g.ret_action[i], 0, 0);
        }
        fix_far_jumps(&g);

        bool ok = g.len <= BPF_MAXINSNS;
        if (ok) {
                out->insns = resolve_labels(&g);
                out->len = g.len;
        } else {
                snprintf(err, errlen,
                         "the policy compiles to %u instructions; the kernel accepts "
                         "at most %d",
                         g.len, BPF_MAXINSNS);
        }
        free(sorted);
        free(pl.leaves);
        free(pl.ranges);
        free(pl.prefix);
        free(g.code);
        free(g.label_pos);
        free(g.label_a);
        free(g.ret_action);
        free(g.ret_label);
        return ok;
}

void sc_program_free(struct sc_program *prog)
{
        free(prog->insns);
        *prog = (struct sc_program){0};
}

/* ---- disassembly ---- */

static void describe_load(uint32_t k, bool big_endian, char *buf, size_t size)
{
        if (k == DATA_NR)
                snprintf(buf, size, "nr");
        else if (k == DATA_ARCH)
                snprintf(buf, size, "arch");
        else if (k >= 8 && k < 16)
                snprintf(buf, size, "instruction_pointer%s",
                         (k == 12) != big_endian ? ".hi" : ".lo");
        else if (k >= 16 && k < 64)
                snprintf(buf, size, "args[%u].%s", (k - 16) / 8,
                         ((k % 8) == 4) != big_endian ? "hi" : "lo");
        else
                snprintf(buf, size, "%u", k);
}

/* Mnemonics, indexed by BPF_OP(code) >> 4. */
static const char *const jump_names[] = {[BPF_JEQ >> 4] = "jeq",
                                         [BPF_JGT >> 4] = "jgt",
                                         [BPF_JGE >> 4] = "jge",
                                         [BPF_JSET >> 4] = "jset"};
static const char *const alu_names[] = {
    [BPF_ADD >> 4] = "add", [BPF_SUB >> 4] = "sub", [BPF_MUL >> 4] = "mul", [BPF_DIV >> 4] = "div",
    [BPF_OR >> 4] = "or",   [BPF_AND >> 4] = "and", [BPF_LSH >> 4] = "lsh", [BPF_RSH >> 4] = "rsh",
    [BPF_NEG >> 4] = "neg", [BPF_MOD >> 4] = "mod", [BPF_XOR >> 4] = "xor"};

/* The name tables are sparse: an opcode without a name, or beyond the table,
 * prints as unknown. */
static const char *mnemonic(const char *const *names, size_t n, uint16_t code, const char *unknown)
{
        unsigned op = BPF_OP(code) >> 4;
        return op < n && names[op] ? names[op] : unknown;
}

/* A load, with what it loads; returns whether A then holds the call number. */
static bool print_load(const struct sock_filter *in, const struct sc_target *t, FILE *out)
{
        if (BPF_MODE(in->code) != BPF_ABS) {
                fprintf(out, "ld   (mode 0x%x) #0x%x\n", BPF_MODE(in->code), in->k);
                return false;
        }
        char what[64];
        describe_load(in->k, t->big_endian, what, sizeof(what));
        fprintf(out, "ld   [%u]%*s; %s\n", in->k, in->k < 10 ? 21 : 20, "", what);
        return in->k == DATA_NR;
}

/* A jump at index i, its targets as indexes. A comparison with the
 * architecture or (when A holds nr) with a call's number says which. */
static void print_jump(const struct sock_filter *in, unsigned i, const struct sc_target *t,
                       bool a_is_nr, const char *(*name_of)(int nr), FILE *out)
{
        if (BPF_OP(in->code) == BPF_JA) {
                fprintf(out, "ja   %u\n", i + 1 + in->k);
                return;
        }
        char note[96] = "";
        const char *name = a_is_nr && name_of ? name_of((int)in->k) : NULL;
        if (in->k == t->audit_arch && !a_is_nr)
                snprintf(note, sizeof(note), "; %s", t->arch_name);
        else if (name)
                snprintf(note, sizeof(note), "; %u = %s", in->k, name);
        fprintf(out, "%-4s #0x%-8x  jt %-4u jf %-4u %s\n",
                mnemonic(jump_names, ARRAY_SIZE(jump_names), in->code, "j?"), in->k, i + 1 + in->jt,
                i + 1 + in->jf, note);
}

static void print_ret(const struct sock_filter *in, FILE *out)
{
        if (BPF_RVAL(in->code) == BPF_A) {
                fprintf(out, "ret  A\n");
                return;
        }
        char action[64];
        sc_format_action(in->k, action, sizeof(action));
        fprintf(out, "ret  %s\n", action);
}

void sc_disassemble(const struct sock_filter *insns, unsigned len, const struct sc_target *t,
                    const char *(*name_of)(int nr), FILE *out)
{
        /* Whether A holds nr, followed in listing order rather than along the
         * jumps: enough to name the numbers the search tree compares, which
         * comes right after the one load of nr. */
        bool a_is_nr = false;
        for (unsigned i = 0; i < len; i++) {
                const struct sock_filter *in = &insns[i];
                fprintf(out, "%4u: ", i);
                switch (BPF_CLASS(in->code)) {
                case BPF_LD:
                        a_is_nr = print_load(in, t, out);
                        break;
                case BPF_ALU:
                        fprintf(out, "%-4s #0x%x\n",
                                mnemonic(alu_names, ARRAY_SIZE(alu_names), in->code, "alu?"),
                                in->k);
                        a_is_nr = false;
                        break;
                case BPF_JMP:
                        print_jump(in, i, t, a_is_nr, name_of, out);
                        break;
                case BPF_RET:
                        print_ret(in, out);
                        break;
                default:
                        fprintf(out, "op 0x%04x k 0x%x\n", in->code, in->k);
                        a_is_nr = false;
                }
        }
}
