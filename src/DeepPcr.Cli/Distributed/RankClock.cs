using System.Diagnostics;
using DeepPcr.Distributed;

namespace DeepPcr.Cli.Distributed;

/// <summary>Times phases of a distributed run: each phase's wall time is the slowest rank's, and what the ranks sent during it is counted.</summary>
public sealed class RankClock(RankGroup group)
{
    /// <summary>Each phase's milliseconds (the slowest rank's), in the order run.</summary>
    public Dictionary<string, double> PhaseMs { get; } = new();

    /// <summary>Each phase's milliseconds inside exchanges and reductions (the rank that spent the most).</summary>
    public Dictionary<string, double> CommunicationMs { get; } = new();

    /// <summary>Runs <paramref name="body"/> as the phase <paramref name="name"/>; returns its result, the slowest rank's
    /// milliseconds, and the bytes all ranks sent and the exchange rounds this rank took part in during it.</summary>
    public (TResult Result, double Ms, long Bytes, long Rounds) Time<TResult>(string name, Func<TResult> body)
    {
        long bytes = group.BytesSent, rounds = group.ExchangeRounds;
        double communication = group.CommunicationSeconds;
        var watch = Stopwatch.StartNew();
        var result = body();
        Span<double> ms = stackalloc double[] { watch.Elapsed.TotalMilliseconds, 1e3 * (group.CommunicationSeconds - communication) };
        Span<double> sent = stackalloc double[] { group.BytesSent - bytes };
        long ownRounds = group.ExchangeRounds - rounds;
        group.Max(ms);
        group.Sum(sent);
        PhaseMs[name] = PhaseMs.GetValueOrDefault(name) + ms[0];
        CommunicationMs[name] = CommunicationMs.GetValueOrDefault(name) + ms[1];
        return (result, ms[0], (long)sent[0], ownRounds);
    }
}
