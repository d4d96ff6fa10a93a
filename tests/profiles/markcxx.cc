// markcxx.cc - C++ with leaktrace.h: a vector leaked between two marks.
#include <leaktrace.h>
#include <vector>
#include <cstdio>
namespace app {
struct Cache {
    std::vector<int> *grow(int n) { return new std::vector<int>(n, 7); }
};
}
int main()
{
    app::Cache c;
    leaktrace_mark("before");
    std::vector<int> *v = c.grow(1000);
    leaktrace_mark("after");
    std::printf("%d\n", (int)v->size());
    return 0;
}
