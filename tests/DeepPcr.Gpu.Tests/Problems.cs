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

    public static double MaxAbs(double[] values) => values.Length == 0 ? 0 : values.Max(Math.Abs);
}
