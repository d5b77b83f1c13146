module github.com/apartado/apartado

go 1.26.8
