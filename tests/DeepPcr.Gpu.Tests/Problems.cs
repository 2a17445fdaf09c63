using DeepPcr.Gpu.Model;

namespace DeepPcr.Gpu.Tests;

/// <summary>Tiny seeded problems, with parameters and inputs rounded to float32 so that the float64 reference solves exactly the device's problem.</summary>
internal static class Problems
{
    public static (MlpModel Model, ChainProblem Problem) Make(int layers, int width, int batch, int seed = 7, double gain = 1.0,
        MlpActivation activation = MlpActivation.Tanh)
    {
        var model = MlpModel.Random(layers, width, gain, seed, activation).RoundedToFloat32();
        return (model, ChainProblem.Random(batch, width, seed));
    }

    /// <summary>The (L, w, B) grid of the brief: L in {1, 2, 3, 5, 16}, w in {1, 3, 8}, B in {1, 2}.</summary>
    public static TheoryData<int, int, int> Grid()
    {
        var data = new TheoryData<int, int, int>();
        foreach (int l in new[] { 1, 2, 3, 5, 16 })
        foreach (int w in new[] { 1, 3, 8 })
        foreach (int b in new[] { 1, 2 })
            data.Add(l, w, b);
        return data;
    }

    /// <summary>The grid for each of the two main paths: one group, and a launch per stage with one thread per entry.</summary>
    public static TheoryData<string, int, int, int> GridOnBothPaths()
    {
        var data = new TheoryData<string, int, int, int>();
        foreach (string path in new[] { "one-group", "per-entry" })
        foreach (var row in Grid())
            data.Add(path, (int)row[0], (int)row[1], (int)row[2]);
        return data;
    }

    /// <summary>The grid for each of the three forward paths: the device loop, one group per iteration, per entry.</summary>
    public static TheoryData<string, int, int, int> GridOnForwardPaths()
    {
        var data = GridOnBothPaths();
        foreach (var row in Grid())
            data.Add("device-loop", (int)row[0], (int)row[1], (int)row[2]);
        return data;
    }

    /// <summary>Engine options that force a path: "device-loop", "one-group" (a launch per iteration), "per-entry" or "tiled".</summary>
    public static Engine.EngineOptions Path(string path) => path switch
    {
        "device-loop" => new Engine.EngineOptions(OneGroupMaxWork: long.MaxValue, DeviceLoop: true),
        "one-group" => new Engine.EngineOptions(OneGroupMaxWork: long.MaxValue, DeviceLoop: false),
        "per-entry" => new Engine.EngineOptions(OneGroupMaxWork: 0, TiledFromWidth: 65),
        "tiled" => new Engine.EngineOptions(OneGroupMaxWork: 0, TiledFromWidth: 1),
        _ => throw new ArgumentException(path),
    };

    public static double MaxAbs(double[] values) => values.Length == 0 ? 0 : values.Max(Math.Abs);
}
