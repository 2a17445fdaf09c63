using System.Diagnostics;
using System.Runtime.InteropServices;
using DeepPcr.Mpi;

namespace DeepPcr.Distributed;

/// <summary>
/// The ranks that share one chain, and the only way the distributed backend talks to them: paired exchanges between
/// two ranks and reductions over all of them. It counts what this rank sends (bytes, and the exchange rounds it took
/// part in), so that reports give the traffic as measured, not as modelled. <see cref="Mpi(MpiWorld)"/> is the real
/// group; <see cref="Single"/> is one process with nobody to talk to.
/// </summary>
public abstract class RankGroup
{
    /// <summary>This process's rank, 0..Size-1.</summary>
    public abstract int Rank { get; }

    /// <summary>The ranks of the group.</summary>
    public abstract int Size { get; }

    /// <summary>Bytes this rank has sent so far.</summary>
    public long BytesSent { get; private set; }

    /// <summary>Exchange rounds (paired sends and receives) this rank has taken part in so far.</summary>
    public long ExchangeRounds { get; private set; }

    /// <summary>Seconds this rank has spent inside exchanges and reductions so far: the transfers and the waits for
    /// slower ranks together.</summary>
    public double CommunicationSeconds => Stopwatch.GetElapsedTime(0, communicationTicks).TotalSeconds;

    private long communicationTicks;

    /// <summary>The group of every rank of MPI_COMM_WORLD.</summary>
    public static RankGroup Mpi(MpiWorld world) => new MpiGroup(world ?? throw new ArgumentNullException(nameof(world)));

    /// <summary>One process alone: every exchange is with nobody and every reduction is the value itself.</summary>
    public static RankGroup Single { get; } = new SingleGroup();

    /// <summary>
    /// One exchange round: sends <paramref name="send"/> to rank <paramref name="destination"/> and receives into
    /// <paramref name="receive"/> from rank <paramref name="source"/>; a partner outside 0..Size-1 means none.
    /// </summary>
    public void Exchange<T>(ReadOnlySpan<T> send, int destination, Span<T> receive, int source) where T : unmanaged
    {
        bool sends = destination >= 0 && destination < Size;
        if (sends) BytesSent += (long)send.Length * Marshal.SizeOf<T>();
        ExchangeRounds++;
        long started = Stopwatch.GetTimestamp();
        Transfer(MemoryMarshal.AsBytes(send), sends ? destination : -1, MemoryMarshal.AsBytes(receive), source >= 0 && source < Size ? source : -1);
        communicationTicks += Stopwatch.GetTimestamp() - started;
    }

    /// <summary>Bytes this rank contributed to all-reduces (<see cref="Max"/>, <see cref="Sum"/>: norms, stop decisions,
    /// results gathered for writing); not counted in <see cref="BytesSent"/>.</summary>
    public long BytesReduced { get; private set; }

    /// <summary>Replaces every value by its largest over all ranks; NaN on any rank gives NaN.</summary>
    public void Max(Span<double> values)
    {
        if (Size == 1) return;
        BytesReduced += 2L * values.Length * sizeof(double);
        var encoded = new double[2 * values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            encoded[i] = double.IsNaN(values[i]) ? double.NegativeInfinity : values[i];
            encoded[values.Length + i] = double.IsNaN(values[i]) ? 1 : 0;
        }
        long started = Stopwatch.GetTimestamp();
        ReduceMax(encoded);
        communicationTicks += Stopwatch.GetTimestamp() - started;
        for (int i = 0; i < values.Length; i++) values[i] = encoded[values.Length + i] > 0 ? double.NaN : encoded[i];
    }

    /// <summary>Replaces every value by its sum over all ranks.</summary>
    public void Sum(Span<double> values)
    {
        if (Size == 1) return;
        BytesReduced += (long)values.Length * sizeof(double);
        long started = Stopwatch.GetTimestamp();
        ReduceSum(values);
        communicationTicks += Stopwatch.GetTimestamp() - started;
    }

    /// <summary>True on every rank when <paramref name="value"/> holds on every rank.</summary>
    public bool All(bool value)
    {
        Span<double> v = stackalloc double[] { value ? 0 : 1 };
        Max(v);
        return v[0] == 0;
    }

    /// <summary>Each rank's value, indexed by rank, on every rank.</summary>
    public double[] Gather(double value)
    {
        var all = new double[Size];
        all[Rank] = value;
        Sum(all);
        return all;
    }

    /// <summary>The transfer itself; -1 for no partner.</summary>
    protected abstract void Transfer(ReadOnlySpan<byte> send, int destination, Span<byte> receive, int source);

    /// <summary>Element-wise maximum over all ranks, in place.</summary>
    protected abstract void ReduceMax(Span<double> values);

    /// <summary>Element-wise sum over all ranks, in place.</summary>
    protected abstract void ReduceSum(Span<double> values);

    private sealed class MpiGroup(MpiWorld world) : RankGroup
    {
        private const int Tag = 26;
        public override int Rank => world.Rank;
        public override int Size => world.Size;
        protected override void Transfer(ReadOnlySpan<byte> send, int destination, Span<byte> receive, int source) =>
            world.SendReceive(send, destination, receive, source, Tag);
        protected override void ReduceMax(Span<double> values) => world.MaxInPlace(values);
        protected override void ReduceSum(Span<double> values) => world.SumInPlace(values);
    }

    private sealed class SingleGroup : RankGroup
    {
        public override int Rank => 0;
        public override int Size => 1;
        protected override void Transfer(ReadOnlySpan<byte> send, int destination, Span<byte> receive, int source) { }
        protected override void ReduceMax(Span<double> values) { }
        protected override void ReduceSum(Span<double> values) { }
    }
}
