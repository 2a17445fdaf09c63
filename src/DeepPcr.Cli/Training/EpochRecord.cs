namespace DeepPcr.Cli.Training;

/// <summary>One epoch of one solver.</summary>
/// <param name="Epoch">1-based.</param>
/// <param name="EpochMs">Wall time of the epoch's training steps (evaluation excluded).</param>
/// <param name="WallMs">Training wall time of this solver so far.</param>
/// <param name="TrainLoss">Mean minibatch loss over the epoch.</param>
/// <param name="TestAccuracy">Accuracy on the test set after the epoch.</param>
/// <param name="MeanIterations">Mean Newton iterations per solve (0 for sequential).</param>
/// <param name="Fallbacks">Solves in the epoch that fell back.</param>
public sealed record EpochRecord(int Epoch, double EpochMs, double WallMs, double TrainLoss, double TestAccuracy, double MeanIterations, int Fallbacks);
