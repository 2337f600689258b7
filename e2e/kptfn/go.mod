module syncd.dev/e2e/kptfn

go 1.22
