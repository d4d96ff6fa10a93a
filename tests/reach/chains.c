/* chains.c - linked lists and a tree: one list kept from a global (still
 * reachable), one dropped (head definitely lost, the rest indirectly), a
 * binary tree whose root pointer is overwritten (root definitely lost,
 * the rest indirectly lost), and a subtree cut from a kept tree. */
#include <stdlib.h>

struct node { struct node *next; long payload[3]; };
struct tree { struct tree *left, *right; long v; };

struct node *volatile kept_list;
struct tree *volatile kept_tree;

static struct node *list(int n)
{
    struct node *h = NULL;
    for (int i = 0; i < n; i++) {
        struct node *x = calloc(1, sizeof *x);
        x->next = h;
        h = x;
    }
    return h;
}

static struct tree *tree(int depth)
{
    if (depth == 0) return NULL;
    struct tree *t = calloc(1, sizeof *t);
    t->left = tree(depth - 1);
    t->right = tree(depth - 1);
    return t;
}

int main(void)
{
    kept_list = list(5);                 /* 5 x 32 still reachable */
    struct node *volatile lost = list(7); /* 32 definite + 6 x 32 indirect */
    lost = NULL;
    struct tree *volatile t = tree(4);   /* 15 x 24: 1 definite + 14 indirect */
    t = NULL;
    kept_tree = tree(3);                 /* 7 nodes */
    kept_tree->left = NULL;              /* cuts a subtree of 3: 1 definite + 2 indirect */
    (void)lost; (void)t;
    return 0;
}
