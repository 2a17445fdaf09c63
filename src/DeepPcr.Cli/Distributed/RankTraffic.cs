using System.Text.Json.Nodes;
using DeepPcr.Distributed;

namespace DeepPcr.Cli.Distributed;

/// <summary>
/// What the ranks sent during a command, for its JSON: <c>bytes_exchanged</c> (point-to-point, PCR rounds and hand-overs,
/// summed over the ranks), <c>bytes_all_reduced</c> (what the ranks contributed to all-reduces: norms, decisions,
/// results gathered for writing) and <c>exchange_rounds</c> (this rank's).
/// </summary>
/// <param name="Sent">The group's <see cref="RankGroup.BytesSent"/> at the start.</param>
/// <param name="Reduced">Its <see cref="RankGroup.BytesReduced"/> at the start.</param>
/// <param name="Rounds">Its <see cref="RankGroup.ExchangeRounds"/> at the start.</param>
public readonly record struct RankTraffic(long Sent, long Reduced, long Rounds)
{
    /// <summary>The counters now.</summary>
    public static RankTraffic Start(RankGroup group) => new(group.BytesSent, group.BytesReduced, group.ExchangeRounds);

    /// <summary>Adds the traffic since <see cref="Start"/> to <paramref name="report"/>; collective (every rank calls it).</summary>
    public void AddTo(JsonObject report, RankGroup group)
    {
        long rounds = group.ExchangeRounds - Rounds;
        Span<double> bytes = stackalloc double[] { group.BytesSent - Sent, group.BytesReduced - Reduced };
        group.Sum(bytes);
        report["bytes_exchanged"] = (long)bytes[0];
        report["bytes_all_reduced"] = (long)bytes[1];
        report["exchange_rounds"] = rounds;
    }
}
