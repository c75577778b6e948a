/* The MPI program of tests/hpc and bench/mpi.sh, built with the host's mpicc
 * into the MPI rootfs (tests/helper/mpi-image.sh):
 *
 *   mpi_probe hello            each rank prints "rank R of N"
 *   mpi_probe pingpong BYTES N ranks 0 and 1 exchange BYTES N times; rank 0
 *                              prints "pingpong BYTES ok US" (microseconds
 *                              per one-way message, the median of 5 rounds)
 *   mpi_probe sleep SECONDS    MPI_Init, then sleeps (scancel and time limits)
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int cmp(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

static int pingpong(int rank, size_t bytes, int n)
{
        char *buf = malloc(bytes ? bytes : 1);
        double rounds[5];
        memset(buf, rank + 1, bytes);
        for (int r = 0; r < 5; r++) {
                MPI_Barrier(MPI_COMM_WORLD);
                double t = MPI_Wtime();
                for (int i = 0; i < n; i++) {
                        if (rank == 0) {
                                MPI_Send(buf, (int)bytes, MPI_CHAR, 1, 0, MPI_COMM_WORLD);
                                MPI_Recv(buf, (int)bytes, MPI_CHAR, 1, 0, MPI_COMM_WORLD,
                                         MPI_STATUS_IGNORE);
                        } else if (rank == 1) {
                                MPI_Recv(buf, (int)bytes, MPI_CHAR, 0, 0, MPI_COMM_WORLD,
                                         MPI_STATUS_IGNORE);
                                MPI_Send(buf, (int)bytes, MPI_CHAR, 0, 0, MPI_COMM_WORLD);
                        }
                }
                rounds[r] = (MPI_Wtime() - t) * 1e6 / (2.0 * n);
        }
        /* rank 1 sent back what rank 0 sent: every byte is 1 */
        int good = 1;
        for (size_t i = 0; i < bytes; i++)
                good &= buf[i] == 1;
        qsort(rounds, 5, sizeof(double), cmp);
        if (rank == 0)
                printf("pingpong %zu %s %.3f\n", bytes, good ? "ok" : "CORRUPT", rounds[2]);
        free(buf);
        return good ? 0 : 1;
}

int main(int argc, char **argv)
{
        int rank, size, status = 0;
        MPI_Init(&argc, &argv);
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
        MPI_Comm_size(MPI_COMM_WORLD, &size);
        if (argc > 1 && !strcmp(argv[1], "hello"))
                printf("rank %d of %d\n", rank, size);
        else if (argc > 3 && !strcmp(argv[1], "pingpong") && size >= 2)
                status = pingpong(rank, strtoul(argv[2], NULL, 10), atoi(argv[3]));
        else if (argc > 2 && !strcmp(argv[1], "sleep"))
                sleep((unsigned)atoi(argv[2]));
        else
                status = 2;
        fflush(stdout);
        MPI_Finalize();
        return status;
}
