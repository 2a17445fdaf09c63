using System.Text.Json.Nodes;
using DeepPcr.GpuCheck;

namespace DeepPcr.GpuCheck.Tests;

public class StageTests
{
    [Fact]
    public void A_throwing_stage_becomes_ok_false_with_its_error()
    {
        var stage = Stage.Run(() => throw new InvalidOperationException("boom"));

        Assert.False(stage["ok"]!.GetValue<bool>());
        Assert.Equal("System.InvalidOperationException: boom", stage["error"]!.GetValue<string>());
        Assert.Contains("boom", stage["exception"]!.GetValue<string>());
        Assert.True(stage["elapsed_ms"]!.GetValue<double>() >= 0);
    }

    [Fact]
    public void A_stage_is_ok_unless_it_says_otherwise_and_ok_comes_first()
    {
        var fine = Stage.Run(() => new JsonObject { ["value"] = 1 });
        var flagged = Stage.Run(() => new JsonObject { ["value"] = 2, ["ok"] = false, ["error"] = "bad" });

        Assert.Equal(["ok", "value", "elapsed_ms"], fine.Select(p => p.Key));
        Assert.True(fine["ok"]!.GetValue<bool>());
        Assert.Equal(["ok", "error", "value", "elapsed_ms"], flagged.Select(p => p.Key));
        Assert.False(flagged["ok"]!.GetValue<bool>());
    }

    [Fact]
    public void Median_of_odd_and_even_counts()
    {
        Assert.Equal(2.0, Timing.Median([3.0, 1.0, 2.0]));
        Assert.Equal(2.5, Timing.Median([4.0, 1.0, 2.0, 3.0]));
    }
}
