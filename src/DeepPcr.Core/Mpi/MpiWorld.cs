namespace DeepPcr.Mpi;

/// <summary>
/// MPI_COMM_WORLD of this process, started once (<see cref="Start"/>) and finalised at exit: the rank, the size, and
/// the blocking calls the distributed backend uses (a paired send and receive of bytes, all-reduce of doubles,
/// broadcast, barrier, abort). Every call checks its return code, although Open MPI's default error handler aborts
/// the job on any error before one comes back.
/// </summary>
public sealed unsafe class MpiWorld
{
    private static readonly object Gate = new();
    private static MpiWorld? started;
    private readonly MpiNative mpi;

    private MpiWorld(MpiNative mpi)
    {
        this.mpi = mpi;
        int rank, size;
        Check(mpi.CommRank(mpi.CommWorld, &rank), "MPI_Comm_rank");
        Check(mpi.CommSize(mpi.CommWorld, &size), "MPI_Comm_size");
        Rank = rank;
        Size = size;
    }

    /// <summary>This process's rank, 0..Size-1.</summary>
    public int Rank { get; }

    /// <summary>The ranks of the job.</summary>
    public int Size { get; }

    /// <summary>The libmpi that was loaded.</summary>
    public string Library => mpi.Library;

    /// <summary>
    /// Starts MPI once per process (MPI_Init) and returns the world; later calls return the same world. MPI is
    /// finalised when the process exits normally.
    /// </summary>
    /// <exception cref="MpiUnavailableException">The process was not started by mpirun (or a PMI launcher), or no
    /// Open MPI library could be loaded.</exception>
    public static MpiWorld Start()
    {
        lock (Gate)
        {
            if (started is not null) return started;
            if (!MpiLaunch.UnderLauncher)
            {
                throw new MpiUnavailableException(
                    "--distributed runs one process per rank under mpirun, e.g. `mpirun -np 4 deeppcr mlp ... --distributed`; "
                    + "this process was not started by mpirun (no OMPI_COMM_WORLD_SIZE, PMI_SIZE or PMIX_RANK in its environment).");
            }
            var mpi = MpiNative.Load();
            int initialized;
            Check(mpi.Initialized(&initialized), "MPI_Initialized");
            if (initialized == 0) Check(mpi.Init(null, null), "MPI_Init");
            started = new MpiWorld(mpi);
            AppDomain.CurrentDomain.ProcessExit += (_, _) => started.Finish();
            return started;
        }
    }

    /// <summary>Seconds since an arbitrary time in the past (MPI_Wtime).</summary>
    public double Wtime() => mpi.Wtime();

    /// <summary>
    /// Sends <paramref name="send"/> to rank <paramref name="destination"/> and receives <paramref name="receive"/> from
    /// rank <paramref name="source"/> in one call (MPI_Sendrecv of bytes); a partner of -1 (or outside the world) means
    /// none on that side.
    /// </summary>
    public void SendReceive(ReadOnlySpan<byte> send, int destination, Span<byte> receive, int source, int tag)
    {
        int to = Partner(destination), from = Partner(source);
        fixed (byte* s = send, r = receive)
        {
            Check(mpi.Sendrecv(s, to == MpiNative.ProcNull ? 0 : send.Length, mpi.Byte, to, tag,
                r, from == MpiNative.ProcNull ? 0 : receive.Length, mpi.Byte, from, tag, mpi.CommWorld, null), "MPI_Sendrecv");
        }
    }

    /// <summary>Replaces every value by its sum over all ranks.</summary>
    public void SumInPlace(Span<double> values) => Reduce(values, mpi.Sum, "MPI_Allreduce(sum)");

    /// <summary>Replaces every value by its maximum over all ranks. MPI does not define the maximum of NaN: callers that
    /// must keep NaN encode it separately (RankGroup.Max does).</summary>
    public void MaxInPlace(Span<double> values) => Reduce(values, mpi.Max, "MPI_Allreduce(max)");

    /// <summary>Copies rank <paramref name="root"/>'s bytes to every rank.</summary>
    public void Broadcast(Span<byte> values, int root)
    {
        fixed (byte* v = values) Check(mpi.Bcast(v, values.Length, mpi.Byte, root, mpi.CommWorld), "MPI_Bcast");
    }

    /// <summary>Waits until every rank has called it.</summary>
    public void Barrier() => Check(mpi.Barrier(mpi.CommWorld), "MPI_Barrier");

    /// <summary>Ends every rank of the job with <paramref name="code"/> (MPI_Abort); does not return.</summary>
    public void Abort(int code)
    {
        mpi.Abort(mpi.CommWorld, code);
        Environment.Exit(code);
    }

    private void Reduce(Span<double> values, IntPtr op, string what)
    {
        var result = new double[values.Length];
        fixed (double* v = values, r = result) Check(mpi.Allreduce(v, r, values.Length, mpi.Double, op, mpi.CommWorld), what);
        result.CopyTo(values);
    }

    private int Partner(int rank) => rank >= 0 && rank < Size ? rank : MpiNative.ProcNull;

    private void Finish()
    {
        int finalized;
        if (mpi.Finalized(&finalized) == 0 && finalized == 0) mpi.Finalize();
    }

    private static void Check(int code, string call)
    {
        if (code != 0) throw new InvalidOperationException($"{call} failed with MPI error code {code}.");
    }
}
