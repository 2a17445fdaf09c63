using DeepPcr.Gpu.Recurrent;

namespace DeepPcr.Gpu.Tests;

/// <summary>Seeded recurrent problems (parameters and inputs rounded to float32, so the float64 reference solves the device's exact problem) and the test grid.</summary>
internal static class RecurrentProblems
{
    public static (RecurrentModel Model, RecurrentProblem Problem) Make(string cell, int length, int hidden, int batch, int seed = 11, int? inputSize = null)
    {
        var model = RecurrentModel.Random(RecurrentCells.Parse(cell), hidden, inputSize ?? hidden + 1, seed);
        return (model, RecurrentProblem.Random(model, batch, length, seed));
    }

    /// <summary>The grid of the brief: both cells, T in {1, 2, 3, 5, 1000}, H in {1, 3, 8}, B in {1, 3}.</summary>
    public static TheoryData<string, int, int, int> Grid()
    {
        var data = new TheoryData<string, int, int, int>();
        foreach (string cell in new[] { "gru-diag", "lstm-cifg-diag" })
        foreach (int t in new[] { 1, 2, 3, 5, 1000 })
        foreach (int h in new[] { 1, 3, 8 })
        foreach (int b in new[] { 1, 3 })
            data.Add(cell, t, h, b);
        return data;
    }
}
