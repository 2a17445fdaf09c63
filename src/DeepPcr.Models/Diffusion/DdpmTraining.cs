using DeepPcr.Models.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Models.Diffusion;

/// <summary>
/// Trains a <see cref="Denoiser"/> with the DDPM objective: E || eps - epsHat(sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps, t) ||^2
/// with t uniform on 1..T, Adam, and an exponential moving average (EMA) of the weights, which is what sampling uses.
/// </summary>
public static class DdpmTraining
{
    /// <summary>Trains for <paramref name="epochs"/> passes over <paramref name="data"/> (N, w) in [-1, 1]; returns the EMA denoiser.</summary>
    /// <param name="data">(N, w) training states, float32.</param>
    /// <param name="schedule">The schedule.</param>
    /// <param name="hiddenWidth">H.</param>
    /// <param name="epochs">Passes over the data.</param>
    /// <param name="batch">Minibatch size.</param>
    /// <param name="learningRate">Adam's learning rate.</param>
    /// <param name="emaDecay">EMA decay per step (0.999).</param>
    /// <param name="seed">Seed of the weights, the batches, t and the noise.</param>
    /// <param name="progress">Called after each epoch with (epoch, mean loss).</param>
    public static Denoiser Train(Tensor data, NoiseSchedule schedule, int hiddenWidth, int epochs, int batch, double learningRate,
        double emaDecay, long seed, Action<int, double>? progress = null)
    {
        if (epochs < 1 || batch < 1) throw new ArgumentException($"Training needs epochs >= 1 and batch >= 1 (got {epochs}, {batch}).");
        int width = (int)data.size(1);
        var model = new Denoiser(width, hiddenWidth, seed);
        var ema = new Denoiser(width, hiddenWidth, seed);
        using var optimizer = new Adam(model.parameters(), learningRate);
        var generator = new Generator((ulong)seed + 17);
        var sqrtAbar = torch.tensor(schedule.AlphaBar.Select(Math.Sqrt).ToArray()).to_type(ScalarType.Float32);
        var sqrtOneMinus = torch.tensor(schedule.AlphaBar.Select(a => Math.Sqrt(1 - a)).ToArray()).to_type(ScalarType.Float32);
        long count = data.size(0);
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            double lossSum = 0;
            int batches = 0;
            using var order = torch.randperm(count, generator: generator);
            for (long from = 0; from < count; from += batch)
            {
                using var scope = torch.NewDisposeScope();
                var x0 = data.index_select(0, order.narrow(0, from, Math.Min(batch, count - from)));
                var t = torch.randint(1, schedule.Steps + 1, new long[] { x0.size(0) }, generator: generator);
                var eps = torch.randn(x0.shape, generator: generator);
                var xt = sqrtAbar.index_select(0, t).unsqueeze(1) * x0 + sqrtOneMinus.index_select(0, t).unsqueeze(1) * eps;
                var loss = (model.call(xt, t.to_type(ScalarType.Float32)) - eps).square().mean();
                optimizer.ZeroGrad();
                loss.backward();
                optimizer.Step();
                UpdateEma(ema, model, emaDecay);
                lossSum += loss.ToDouble();
                batches++;
            }
            progress?.Invoke(epoch, lossSum / batches);
        }
        model.Dispose();
        return ema;
    }

    private static void UpdateEma(Denoiser ema, Denoiser model, double decay)
    {
        using var noGrad = torch.no_grad();
        foreach (var (e, m) in ema.parameters().Zip(model.parameters()))
        {
            e.mul_(decay).add_(m, alpha: 1 - decay);
        }
    }
}
