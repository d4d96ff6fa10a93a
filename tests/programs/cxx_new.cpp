// C++ new / delete / new[] / delete[]. stack[0] is the function that called
// operator new / operator new[]. The leaking functions are extern "C" so
// their names are exact (no demangling question); a member function leak
// is not checked by name for the same reason.
// A new[] of a type with a non-trivial destructor asks operator new[] for an
// 8-byte array cookie on top of the elements: Tracked[3] = 3*24 + 8 = 80.
// std::vector / std::string / std::map that are destroyed properly, and
// objects deleted with delete / delete[], must not leak.
//
// EXPECT: leak leak_new_object 40 1
// EXPECT: leak leak_new_int_array 100 1
// EXPECT: leak leak_new_tracked_array 80 1
// EXPECT: leak leak_new_in_loop 192 8
// EXPECT: leak balanced_containers 0 0
// EXPECT: leak balanced_new_delete 0 0
// EXPECT: no-other-leaks
//
// Checked against valgrind 3.19 (memcheck --leak-check=full
// --show-leak-kinds=all): 40/1 leak_new_object, 100/1 leak_new_int_array,
// 80/1 leak_new_tracked_array, 192/8 leak_new_in_loop, nothing else from
// this file (valgrind's own operator new frames removed); libstdc++'s
// emergency exception pool (72,704 bytes) is freed by valgrind's freeres,
// and is one of leaktrace's default suppressions.
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#define NOINLINE __attribute__((noinline))

struct Obj40 { char data[40]; };

struct Tracked {
    long a, b, c;                    // 24 bytes
    Tracked() : a(1), b(2), c(3) {}
    ~Tracked() { a = b = c = 0; }    // non-trivial: new[] adds a cookie
};

void *keep[16];

extern "C" {

NOINLINE void leak_new_object(void) { keep[0] = new Obj40(); }

NOINLINE void leak_new_int_array(void) { keep[1] = new int[25](); }

NOINLINE void leak_new_tracked_array(void) { keep[2] = new Tracked[3]; }

NOINLINE void leak_new_in_loop(void)
{
    for (int i = 0; i < 8; i++)
        keep[4 + i] = new Tracked();
}

NOINLINE size_t balanced_containers(void)
{
    std::vector<int> v;
    for (int i = 0; i < 1000; i++)
        v.push_back(i);              // several reallocations of the buffer
    std::string s(200, 'x');         // heap-allocated (beyond SSO)
    s += std::string(300, 'y');
    std::map<int, std::string> m;
    for (int i = 0; i < 50; i++)
        m[i] = std::string(40 + i, 'z');
    auto u = std::make_unique<Obj40>();
    std::shared_ptr<Tracked> sp = std::make_shared<Tracked>();
    return v.size() + s.size() + m.size() + sizeof *u + (size_t)sp->a;
}

NOINLINE void balanced_new_delete(void)
{
    Obj40 *o = new Obj40();
    delete o;
    int *a = new int[77];
    delete[] a;
    Tracked *t = new Tracked[5];
    delete[] t;
    Tracked *one = new Tracked();
    delete one;
}

} // extern "C"

int main()
{
    leak_new_object();
    leak_new_int_array();
    leak_new_tracked_array();
    leak_new_in_loop();
    size_t n = balanced_containers();
    balanced_new_delete();
    std::printf("cxx_new: %zu\n", n);
    return 0;
}
