module daprprofiler/testdata/gen

go 1.19
